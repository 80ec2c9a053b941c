#!/bin/bash
# s2r screening (not a measurement: shared machine): does the learned policy offload over tbf at the delay end?
B=/tmp/s2r4/bin0/edgeagent.dll
P=/tmp/s2r4/agent-default.onnx
run() { n=$1; shift; echo "$n start $(date -u +%T) $(cat /proc/loadavg)" >> times.txt; nice -n 10 dotnet $B eval live --real-links --preferences 3 --duration 8s --policy-file $P --report /tmp/s2r4/scr/$n "$@" > $n.out 2>&1; echo "$n rc $? end $(date -u +%T) $(cat /proc/loadavg)" >> times.txt; }
run A --rate 4 --seed 61 --link-profile "edge:rtt=1ms,bw=400mbit,speed=3;cloud:rtt=30ms,bw=100mbit,speed=3"
run B --rate 1.5 --seed 62 --link-profile "edge:rtt=1ms,bw=800mbit,speed=3;cloud:rtt=30ms,bw=100mbit,speed=3"
