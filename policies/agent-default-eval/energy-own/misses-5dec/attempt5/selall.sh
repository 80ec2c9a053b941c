#!/bin/bash
# usage: selall.sh CAND.onnx NAME -- the remaining selection runs of a candidate that failed the screen (information)
cd /tmp/rew7/sel
E=/tmp/rew7/bin/edgeagent.dll
cand=$1; name=$2; ep=50
for cs in "demo-fast-cloud 11" "demo-near-edge 9" "demo-near-edge 11" "demo 9" "demo 11"; do set -- $cs; c=$1; s=$2
  [ -f $name-$c-$s-e$ep/report.json ] && continue
  echo "$name $c $s start $(date -u +%T) $(cat /proc/loadavg)" >> log
  dotnet $E eval --profile agent --policy $cand --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --baselines heuristic,greedy-expected --report /tmp/rew7/sel/$name-$c-$s-e$ep > $name-$c-$s-e$ep.out 2>&1
  echo "$name $c $s end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log
  python3 /tmp/rew7/band.py /tmp/rew7/sel/$name-$c-$s-e$ep >> summary.info
done
