#!/bin/bash
B="dotnet /tmp/rew9/bin/edgeagent.dll"
for r in demo-fast-cloud:9 demo-near-edge:11; do IFS=: read c s <<< "$r"
  echo "obs-both $c $s start $(date -u +%T) $(cat /proc/loadavg)" >> times.log
  nice -n 10 $B eval --profile agent --policy /tmp/rew9/committed.onnx --contexts $c --preferences 101 --no-bend --rollout --rollout-grid --rollout-episodes 10 --episodes 10 --seed $s --baselines heuristic --rollout-observed --rollout-continuation both --report rollout-obs-both-$c-$s > rollout-obs-both-$c-$s.out 2>&1
  echo "obs-both $c $s end $(date -u +%T) $(cat /proc/loadavg)" >> times.log
done
