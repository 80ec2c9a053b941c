#!/bin/bash
# lead's strict window 03:20-03:34 UTC, 6 December: issue 12's live target on the ninth attempt's s1-015118 (44 columns),
# the docs' command (docs/benchmarks.md "Live target"), one run of --repeats 3; binary = Release build of main ab8498a.
cd /tmp/adopt-live
now=$(date +%s); t=$(date -d "${1:-03:20:05}" +%s); [ $t -gt $now ] && sleep $((t-now))
echo "start $(date -u +%T) load $(cat /proc/loadavg)" >> times.txt
sha256sum s1-015118.onnx bin/edgeagent.dll >> times.txt
dotnet bin/edgeagent.dll demo --policy learned --policy-file /tmp/adopt-live/s1-015118.onnx \
    --compare heuristic --preferences 11 --repeats 3 --duration 3s --rate 2 \
    --link-profile default \
    --link-profile "edge:rtt=10ms,bw=100mbit,speed=1.2;cloud:rtt=30ms,bw=400mbit,speed=3" \
    --link-profile "edge:rtt=2ms,bw=500mbit,speed=1.2;cloud:rtt=80ms,bw=100mbit,speed=3" \
    --decision-log /tmp/adopt-live/log --runs-csv /tmp/adopt-live/runs.csv --plot /tmp/adopt-live/live-hv.png > out.txt 2>&1
echo "end $(date -u +%T) rc $? load $(cat /proc/loadavg)" >> times.txt
