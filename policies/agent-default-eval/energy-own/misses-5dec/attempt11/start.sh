#!/bin/bash
# eleventh attempt: 60 minutes of DAgger cloning from scratch in the 45-column layout (the ninth attempt's recipe with --own-batch for --own-pipeline, seed 501)
cd /tmp/lead-11/w
echo "start $(date -u +%T) $(cat /proc/loadavg)" > times.log
nice -n -10 dotnet /tmp/lead-11/bin/edgeagent.dll train $(cat /tmp/lead-11/args) --out s1.onnx --minutes 60 --progress-seconds 60 --checkpoint-minutes 3 > s1.log 2>&1
echo "end $(date -u +%T) rc $? $(cat /proc/loadavg)" >> times.log
