#!/bin/bash
# s2r fine-tune at nice 19: generic policy resumed on the load6 deployment at 3 jobs/s (calibration.json beside this script)
cd /tmp/s2r6/ft1
MIN=${1:-40}
echo "start $(date -u +%H:%M:%S) load $(cat /proc/loadavg) minutes $MIN" > times.txt
nice -n 19 dotnet /tmp/s2r6/bin1/edgeagent.dll train --profile agent --own-traffic \
  --calibration /tmp/s2r6/ft1/calibration.json --resume /tmp/s2r6/generic.onnx --out /tmp/s2r6/ft1/tuned.onnx --minutes $MIN --seed 4 \
  --teacher rollout --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --focus 0 --low-focus 0.3 --endpoints 0.3 \
  --cost-features --greedy-below 0.02 --probe-minutes 4 --progress-seconds 60 --checkpoint-minutes 4 --reward-units item > train.log 2>&1
echo "rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> times.txt
