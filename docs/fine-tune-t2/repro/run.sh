#!/bin/bash
# repro sweeps: name policyfile
B=/tmp/s2r10/bin0/edgeagent.dll
LP="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
for x in "$@"; do n=${x%%=*}; f=${x#*=}
  echo "$n start $(date -u +%T) $(cat /proc/loadavg)" >> /tmp/s2r10/rep/times.txt
  dotnet $B eval live --preferences 11 --duration 5s --rate 3 --seed 81 --link-profile "$LP" --policy-file $f --calibration /tmp/s2r10/cal.json --episodes 1 --observed-estimates log --report /tmp/s2r10/rep/$n > /tmp/s2r10/rep/$n.out 2>&1
  echo "$n rc $? end $(date -u +%T) $(cat /proc/loadavg)" >> /tmp/s2r10/rep/times.txt
done
