#!/bin/bash
# s2r's strict window 02:48-03:11 UTC, 6 December 2026: the generic policy vs a fine-tune calibrated on the 23:02 window's
# generic logs, live, ABBA pairs (g1 t1, t2 g2, g3 t3, ...), one workload seed, eval live at the delay weights where the
# policies differ (--preference-values), 5 s each at 3 items/s on the load6 peers, sweeps from w_delay 1 down; then
# eval live-compare under the reference stated before the window (0.35 s, 0.25 J).
# Usage: window.sh OUTDIR START(HH:MM:SS) LASTEND(HH:MM:SS) [DUR] [VALUES]   (dry run: START now)
OUT=$1; START=$2; LASTEND=$3; DUR=${4:-5s}; VALUES=${5:-0.1,0.2,0.3,1}
B=/tmp/s2r-w/binW/edgeagent.dll
GEN=/tmp/s2r-w/generic.onnx
TUNED=${TUNED:-/tmp/s2r-w/tuned1955.onnx}
CAL=/tmp/s2r-w/cal-g.json
LP="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
PAIRSECS=${PAIRSECS:-120}
mkdir -p $OUT; T=$OUT/times.txt
echo "launched $(date -u +%H:%M:%S) pid $$, sleeping until $START" >> $T
S=$(( $(date -u -d "$START" +%s) - $(date -u +%s) )); [ $S -gt 0 ] && sleep $S
[ "${RENICE:-1}" = 1 ] && renice -n 0 -p $$ > /dev/null 2>&1
echo "window start $(date -u +%H:%M:%S) nice $(nice) load $(cat /proc/loadavg)" >> $T
sha256sum $GEN $TUNED $CAL $B >> $T
sweep() { # name, policy file
  local name=$1 f=$2
  echo "$name start $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
  dotnet $B eval live --preference-values $VALUES --duration $DUR --rate 3 --seed 81 --link-profile "$LP" --order backward \
    --policy-file $f --calibration $CAL --episodes 2 --observed-estimates log --report $OUT/$name > $OUT/$name.out 2>&1
  echo "$name rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
}
END=$(date -u -d "$LASTEND" +%s)
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  NOW=$(date -u +%s)
  if [ $(( NOW + PAIRSECS )) -gt $END ]; then echo "pair $i not started at $(date -u +%H:%M:%S): would not end by $LASTEND (pair ${PAIRSECS} s)" >> $T; break; fi
  PS=$NOW
  if [ $((i % 2)) = 1 ]; then sweep g$i $GEN; sweep t$i $TUNED; else sweep t$i $TUNED; sweep g$i $GEN; fi
  TOOK=$(( $(date -u +%s) - PS )); [ $TOOK -gt $PAIRSECS ] && PAIRSECS=$TOOK
  [ -n "$ONEPAIR" ] && break
done
echo "window end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
G=$(ls -d $OUT/g? $OUT/g?? 2>/dev/null | sort -V); C=$(ls -d $OUT/t? $OUT/t?? 2>/dev/null | sort -V)
if [ -n "$G" ] && [ -n "$C" ]; then
  dotnet $B eval live-compare --baseline $G --candidate $C --reference 0.35,0.25 --out $OUT/compare.md --plot $OUT/compare.png > $OUT/compare.out 2>&1
  echo "compare rc $? $(date -u +%H:%M:%S)" >> $T
  dotnet $B eval live-compare --baseline $G --candidate $C --reference 1.0,0.25 > $OUT/compare-ref1.out 2>&1
  echo "compare (reference 1.0 s, 0.25 J) rc $? $(date -u +%H:%M:%S)" >> $T
fi
[ -n "$AFTER" ] && $AFTER $OUT >> $T 2>&1
echo "all done $(date -u +%H:%M:%S)" >> $T
