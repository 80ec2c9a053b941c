#!/bin/bash
# rew's soft window 03:12-03:27 (information: the candidate is not adopted): bench policy p99 at 9 candidates, the 33-minute candidate and
# the committed file interleaved, three runs each (docs/benchmarks.md command, the Release build of main ab8498a in /tmp/rew-9/bin); nice 0
cd /tmp/rew-9/bench
now=$(date +%s); t=$(date -d "03:12:05" +%s); [ $t -gt $now ] && sleep $((t-now))
for i in 1 2 3; do for p in s1-015118:/tmp/rew-9/ck/s1-015118.onnx committed:/work/wt/rew/policies/agent-default.onnx; do n=${p%%:*}; f=${p#*:}
  echo "$n run $i start $(date -u +%T) $(cat /proc/loadavg)" >> log
  dotnet /tmp/rew-9/bin/edgeagent.dll bench policy --policy $f > $n-$i.txt 2>&1
  echo "$n run $i end $(date -u +%T) rc $? $(cat /proc/loadavg) $(grep '^p99' $n-$i.txt)" >> log
done; done
