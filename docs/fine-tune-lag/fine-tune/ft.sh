#!/bin/bash
# s2r's soft window 19:55-20:07 UTC, 5 December 2026: the fine-tune (generic resumed on the quiet 06:02 fit of the
# load6 peers at 3 jobs/s, peer reports lagged as the live agent sees them), then its offline check in eval live's units.
# Usage: ft.sh START(HH:MM:SS) MINUTES [NICE]   (launched early at nice 19; sleeps in one call until START)
START=$1; MIN=${2:-9.5}; NICE=${3:-0}
cd /tmp/s2r9/ft
B=/tmp/s2r9/bin3/edgeagent.dll
T=times.txt
echo "launched $(date -u +%H:%M:%S) pid $$, sleeping until $START" >> $T
S=$(( $(date -u -d "$START" +%s) - $(date -u +%s) )); [ $S -gt 0 ] && sleep $S
renice -n $NICE -p $$ > /dev/null 2>&1
echo "start $(date -u +%H:%M:%S) load $(cat /proc/loadavg) minutes $MIN nice $(nice)" >> $T
sha256sum /tmp/s2r9/generic.onnx cal.json >> $T
dotnet $B train --profile agent --calibration cal.json --resume /tmp/s2r9/generic.onnx --out tuned.onnx --minutes $MIN --seed 4 \
  --teacher rollout --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --focus 0 --low-focus 0.3 --endpoints 0.3 \
  --cost-features --greedy-below ${GB:-0.02} --probe-minutes 3 --progress-seconds 60 --checkpoint-minutes 4 --reward-units item > train.log 2>&1
echo "train rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
sha256sum tuned.onnx >> $T
for s in 71 72; do
  dotnet $B eval live-predict --calibration cal.json --policy-file /tmp/s2r9/generic.onnx tuned.onnx /work/wt/s2r/docs/fine-tune-3ips/fine-tune/tuned.onnx \
    --baselines greedy-expected,rollout --episodes 20 --seed $s > check-s$s.out 2>&1
  echo "check s$s rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
done
echo "all done $(date -u +%H:%M:%S)" >> $T
