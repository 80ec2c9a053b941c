#!/bin/bash
cd /tmp/s2r2/ft
now=$(date -u +%s); end=$(date -u -d "02:34:30" +%s)
min=$(python3 -c "print(round(($end-$now)/60.0,1))")
echo "start $(date -u +%H:%M:%S) load $(cat /proc/loadavg) minutes $min" > /tmp/s2r2/ft/times.txt
nice -n 19 dotnet /work/wt/s2r/src/EdgeAgent.Cli/bin/Release/net10.0/edgeagent.dll train --profile agent --own-traffic \
  --calibration /tmp/s2r2/ft/calibration.json --resume /tmp/s2r2/generic.onnx --out /tmp/s2r2/ft/tuned.onnx --minutes $min --seed 4 \
  --teacher rollout --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --focus 0 --low-focus 0.3 --endpoints 0.3 \
  --cost-features --greedy-below 0.02 --probe-minutes 4 --progress-seconds 60 --checkpoint-minutes 4 --reward-units item > /tmp/s2r2/ft/train.log 2>&1
echo "rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> /tmp/s2r2/ft/times.txt
