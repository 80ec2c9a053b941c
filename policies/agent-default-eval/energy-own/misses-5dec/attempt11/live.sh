#!/bin/bash
# usage: live.sh POLICY.onnx NAME : docs/benchmarks.md "Live target" command (--repeats 3), lead's strict window (rule part (5))
cd /tmp/lead-11/live; mkdir -p $2
echo "$2 start $(date -u +%T) $(cat /proc/loadavg)" >> times.log
dotnet /tmp/lead-11/bin/edgeagent.dll demo --policy learned --policy-file $1 \
    --compare heuristic --preferences 11 --repeats 3 --duration 3s --rate 2 \
    --link-profile default \
    --link-profile "edge:rtt=10ms,bw=100mbit,speed=1.2;cloud:rtt=30ms,bw=400mbit,speed=3" \
    --link-profile "edge:rtt=2ms,bw=500mbit,speed=1.2;cloud:rtt=80ms,bw=100mbit,speed=3" \
    --decision-log /tmp/lead-11/live/$2/log --runs-csv /tmp/lead-11/live/$2/runs.csv --plot /tmp/lead-11/live/$2/live-hv.png > /tmp/lead-11/live/$2.out 2>&1
echo "$2 end $(date -u +%T) rc $? $(cat /proc/loadavg)" >> times.log
