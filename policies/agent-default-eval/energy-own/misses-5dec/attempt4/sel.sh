#!/bin/bash
# usage: sel.sh CAND.onnx NAME EPISODES NICE seeds...   (validation seeds only; demo-fast-cloud first)
cd /tmp/rew6/sel
E=/tmp/rew6/bin/edgeagent.dll
cand=$1; name=$2; ep=$3; nc=$4; shift 4
for s in "$@"; do for c in demo-fast-cloud demo-near-edge demo; do
  [ -f $name-$c-$s-e$ep/report.json ] && continue
  echo "$name $c $s start $(date -u +%T) $(cat /proc/loadavg) nice $nc" >> log
  nice -n $nc dotnet $E eval --profile agent --policy $cand --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --baselines heuristic,greedy-expected --report /tmp/rew6/sel/$name-$c-$s-e$ep > $name-$c-$s-e$ep.out 2>&1
  echo "$name $c $s end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log
done; done
