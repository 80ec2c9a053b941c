#!/bin/bash
# usage: sel.sh CAND.onnx NAME EPISODES   (validation seeds 9 and 11 only; demo-fast-cloud 9 first as a screen: on a miss there the rest is skipped)
cd /tmp/rew7/sel
E=/tmp/rew7/bin/edgeagent.dll
cand=$1; name=$2; ep=$3
run() { c=$1; s=$2
  [ -f $name-$c-$s-e$ep/report.json ] && return
  echo "$name $c $s start $(date -u +%T) $(cat /proc/loadavg)" >> log
  dotnet $E eval --profile agent --policy $cand --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --baselines heuristic,greedy-expected --report /tmp/rew7/sel/$name-$c-$s-e$ep > $name-$c-$s-e$ep.out 2>&1
  echo "$name $c $s end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log; }
run demo-fast-cloud 9
python3 /tmp/rew7/band.py /tmp/rew7/sel/$name-demo-fast-cloud-9-e$ep >> summary
if python3 /tmp/rew7/pass.py $name | grep -q PASS; then
  for cs in "demo-fast-cloud 11" "demo-near-edge 11" "demo-near-edge 9" "demo 9" "demo 11" "peers-8 21"; do run $cs; python3 /tmp/rew7/band.py /tmp/rew7/sel/$name-${cs// /-}-e$ep >> summary; done
fi
echo "$name $(python3 /tmp/rew7/pass.py $name) $(date -u +%T)" >> summary
