#!/bin/bash
# development data (not a figure): namespace/tbf sweep, 2 passes, logged, at nice 10 on the shared machine
cd /tmp/s2r8
LPNS="edge:rtt=1ms,bw=400mbit,speed=3;cloud:rtt=30ms,bw=100mbit,speed=3"
echo "dev1 start $(date -u +%T) load $(cat /proc/loadavg)" >> /tmp/s2r8/dev.times
nice -n 10 dotnet /tmp/s2r8/bin0/edgeagent.dll eval live --real-links --preferences 11 --duration 10s --rate 1.5 --seed 101 --link-profile "$LPNS" --passes 2 --policy-file /tmp/s2r8/agent-default.onnx --report /tmp/s2r8/dev1 > /tmp/s2r8/dev1.out 2>&1
echo "dev1 rc $? end $(date -u +%T) load $(cat /proc/loadavg)" >> /tmp/s2r8/dev.times
