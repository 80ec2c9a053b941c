#!/bin/bash
# pilot fine-tune: generic resumed on the load6 fit at 3 jobs/s, peer reports lagged (default), layout taken from the file
cd /tmp/s2r9/p1
MIN=${1:-4}; NICE=${2:-10}
echo "start $(date -u +%H:%M:%S) load $(cat /proc/loadavg) minutes $MIN nice $NICE" > times.txt
nice -n $NICE dotnet /tmp/s2r9/bin2/edgeagent.dll train --profile agent \
  --calibration cal.json --resume /tmp/s2r9/generic.onnx --out tuned.onnx --minutes $MIN --seed 4 \
  --teacher rollout --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --focus 0 --low-focus 0.3 --endpoints 0.3 \
  --cost-features --greedy-below 0.02 --probe-minutes 2 --progress-seconds 60 --checkpoint-minutes 4 --reward-units item > train.log 2>&1
echo "rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> times.txt
