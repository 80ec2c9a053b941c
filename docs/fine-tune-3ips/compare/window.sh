#!/bin/bash
# s2r's strict window 11:55-12:07 UTC 5 December (to 12:20 if /tmp/s2r6/w/extend exists when a pair would start after 12:07):
# generic and fine-tuned policy interleaved (g t, t g, g t, ...: ABBA, drift falls on both), one workload seed for all sweeps,
# eval live 11 preferences x DUR at 3 items/s on the load6 peers; then eval live-compare (bootstrap over pairs).
# Usage: window.sh OUTDIR START(HHMMSS) END(HHMMSS) END2(HHMMSS) DUR PREFS TUNED   (dry run: tiny budget, START now)
OUT=$1; START=$2; ENDT=$3; END2=$4; DUR=${5:-6s}; PREFS=${6:-11}; TUNED=${7:-/tmp/s2r6/ft1/tuned.onnx}
BIN=/tmp/s2r6/bin1/edgeagent.dll
GEN=/tmp/s2r6/generic.onnx
CAL=/tmp/s2r6/ft1/calibration.json
LP="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
PAIRSECS=${PAIRSECS:-235}
mkdir -p $OUT; T=$OUT/times.txt; : >> $T
echo "waiting for $START (pid $$) $(date -u +%T)" >> $T
while [ "$(date -u +%H%M%S)" -lt $START ]; do sleep 1; done
[ "$START" = 115505 ] && renice -n 0 -p $$ > /dev/null 2>&1   # waited at nice 19 (dry runs keep their nice)
sha256sum $GEN $TUNED $CAL >> $T
sweep() { # name, policy file
  local name=$1 f=$2
  echo "$name start $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
  dotnet $BIN eval live --preferences $PREFS --duration $DUR --rate 3 --seed 81 --link-profile "$LP" \
    --policy-file $f --calibration $CAL --episodes 10 --report $OUT/$name > $OUT/$name.out 2>&1
  echo "$name rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
}
for i in 1 2 3 4 5 6 7 8; do
  NOW=$(date -u +%s); END=$(date -u -d "$ENDT" +%s)
  if [ -f /tmp/s2r6/w/extend ]; then END=$(date -u -d "$END2" +%s); fi
  if [ $(( NOW + PAIRSECS )) -gt $END ]; then echo "pair $i skipped at $(date -u +%H:%M:%S): does not fit (pair ${PAIRSECS} s)" >> $T; break; fi
  PS=$NOW
  if [ $((i % 2)) = 1 ]; then sweep g$i $GEN; sweep t$i $TUNED; else sweep t$i $TUNED; sweep g$i $GEN; fi
  TOOK=$(( $(date -u +%s) - PS )); [ $TOOK -gt $PAIRSECS ] && PAIRSECS=$TOOK
done
G=$(ls -d $OUT/g? 2>/dev/null | sort); C=$(ls -d $OUT/t? 2>/dev/null | sort)
if [ -n "$G" ] && [ -n "$C" ]; then
  dotnet $BIN eval live-compare --baseline $G --candidate $C --out $OUT/compare.md --plot $OUT/compare.png > $OUT/compare.out 2>&1
  echo "compare rc $? $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
fi
echo "all done $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
