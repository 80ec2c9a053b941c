#!/bin/bash
# s2r's strict window 01:55-02:05 UTC 5 December: calibration sweep of the generic policy at the high-load edge deployment
cd /work/wt/s2r
RATE=${RATE:-6}
LP="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
while [ "$(date -u +%H%M%S)" -lt 015505 ]; do sleep 1; done
echo "start $(date -u +%H:%M:%S) load $(cat /proc/loadavg) rate $RATE" > /tmp/s2r2/cal.times
dotnet src/EdgeAgent.Cli/bin/Release/net10.0/edgeagent.dll eval live --preferences 11 --duration 20s --rate $RATE --seed 21 \
  --link-profile "$LP" --policy-file /tmp/s2r2/generic.onnx --report /tmp/s2r2/cal > /tmp/s2r2/cal.out 2>&1
echo "rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> /tmp/s2r2/cal.times
