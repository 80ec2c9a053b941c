#!/bin/bash
# ninth attempt, stage 1: 60 minutes of DAgger cloning from scratch in the 44-column layout (attempt 8's recipe + --own-pipeline, seed 501)
cd /tmp/rew-9/w
echo "start $(date -u +%T) $(cat /proc/loadavg)" > times.log
nice -n -10 dotnet /tmp/rew-9/bin/edgeagent.dll train $(cat /tmp/rew-9/args) --out s1.onnx --minutes 60 --progress-seconds 60 --checkpoint-minutes 3 > s1.log 2>&1
echo "end $(date -u +%T) rc $? $(cat /proc/loadavg)" >> times.log
