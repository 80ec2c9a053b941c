#!/bin/bash
# development data (not a figure): demo cluster sweep, 2 passes, logged, at nice 10 on the shared machine
cd /tmp/s2r8
echo "dev2 start $(date -u +%T) load $(cat /proc/loadavg)" >> /tmp/s2r8/dev.times
nice -n 10 dotnet /tmp/s2r8/bin0/edgeagent.dll eval live --preferences 11 --duration 8s --rate 1.5 --seed 102 --passes 2 --policy-file /tmp/s2r8/agent-default.onnx --report /tmp/s2r8/dev2 > /tmp/s2r8/dev2.out 2>&1
echo "dev2 rc $? end $(date -u +%T) load $(cat /proc/loadavg)" >> /tmp/s2r8/dev.times
