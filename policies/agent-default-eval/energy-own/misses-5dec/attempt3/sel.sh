#!/bin/bash
# usage: sel.sh CAND.onnx NAME EPISODES NICE seeds...   (validation seeds only)
cd /work/wt/rew
E=src/EdgeAgent.Cli/bin/Release/net10.0/edgeagent.dll
cand=$1; name=$2; ep=$3; nc=$4; shift 4
for s in "$@"; do for c in demo-fast-cloud demo-near-edge demo; do
  echo "$name $c $s start $(date -u +%T) $(cat /proc/loadavg)" >> /tmp/rew5/sel/log
  nice -n $nc dotnet $E eval --profile agent --policy $cand --compare policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --baselines heuristic,greedy-expected --report /tmp/rew5/sel/$name-$c-$s-e$ep > /tmp/rew5/sel/$name-$c-$s-e$ep.out 2>&1
  echo "$name $c $s end $(date -u +%T) $(cat /proc/loadavg)" >> /tmp/rew5/sel/log
done; done
