#!/bin/bash
# s2r's strict window 03:35-03:52 UTC: generic and fine-tuned sweeps interleaved (g t g t ...), one workload seed
cd /work/wt/s2r
LP="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
DUR=${1:-6s}
PAIRSECS=${2:-230}     # a generic + tuned pair's seconds; no pair starts unless it ends by 03:51:30
BIN=${BIN:-/tmp/s2r2/bin/edgeagent.dll}
T=$(date -u -d "03:35:05" +%s)
while [ $(date -u +%s) -lt $T ]; do sleep 1; done
END=$(date -u -d "03:51:30" +%s)
: > /tmp/s2r2/cmp.times
for i in 1 2 3 4 5; do
  if [ $(( $(date -u +%s) + PAIRSECS )) -gt $END ]; then echo "pair $i skipped at $(date -u +%H:%M:%S): does not fit" >> /tmp/s2r2/cmp.times; break; fi
  PS=$(date -u +%s)
  for p in g t; do
    f=/tmp/s2r2/generic.onnx; [ $p = t ] && f=/tmp/s2r2/ft/tuned.onnx
    echo "$p$i start $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> /tmp/s2r2/cmp.times
    dotnet $BIN eval live --preferences 11 --duration $DUR --rate 6 --seed 31 \
      --link-profile "$LP" --policy-file $f --calibration /tmp/s2r2/ft/calibration.json --episodes 10 --report /tmp/s2r2/cmp/$p$i > /tmp/s2r2/cmp/$p$i.out 2>&1
    echo "$p$i rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> /tmp/s2r2/cmp.times
  done
  TOOK=$(( $(date -u +%s) - PS )); [ $TOOK -gt $PAIRSECS ] && PAIRSECS=$TOOK
done
dotnet $BIN eval live-compare --baseline $(ls -d /tmp/s2r2/cmp/g? | sort) --candidate $(ls -d /tmp/s2r2/cmp/t? | sort) --out /tmp/s2r2/cmp/compare.md --plot /tmp/s2r2/cmp/compare.png > /tmp/s2r2/cmp/compare.out 2>&1
echo "compare rc $? $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> /tmp/s2r2/cmp.times
