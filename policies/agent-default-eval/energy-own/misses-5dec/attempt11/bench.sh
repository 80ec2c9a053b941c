#!/bin/bash
# usage: bench.sh NAME FILE -- lead strict window (start time arg 3): bench policy p99 at 9 candidates (docs/benchmarks.md command; the Release
# publish of main 6d2ef48 in /tmp/lead-11/bin), the candidate and the committed file interleaved, three runs each; nice 0; starts at 05:55:05
cd /tmp/lead-11/bench; n=$1; f=$2
now=$(date +%s); t=$(date -d "${3:-now}" +%s); [ $t -gt $now ] && sleep $((t-now))
for i in 1 2 3; do for p in $n:$f committed:/work/wt/lead/policies/agent-default.onnx; do m=${p%%:*}; g=${p#*:}
  echo "$m run $i start $(date -u +%T) $(cat /proc/loadavg)" >> log
  dotnet /tmp/lead-11/bin/edgeagent.dll bench policy --policy $g > $m-$i.txt 2>&1
  echo "$m run $i end $(date -u +%T) rc $? $(cat /proc/loadavg) $(grep '^p99' $m-$i.txt)" >> log
done; done
