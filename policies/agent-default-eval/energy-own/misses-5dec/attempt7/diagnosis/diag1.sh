#!/bin/bash
B="dotnet /tmp/rew9/bin/edgeagent.dll"
for mode in exact observed; do
  extra=""; [ $mode = observed ] && extra="--rollout-observed"
  echo "$mode start $(date -u +%T) $(cat /proc/loadavg)" >> times.log
  nice -n 10 $B eval --profile agent --policy /tmp/rew9/committed.onnx --contexts demo-fast-cloud --preferences 101 --no-bend --rollout --rollout-grid --rollout-episodes 10 --episodes 10 --seed 21 --baselines heuristic $extra --report rollout-$mode-dfc-21 > rollout-$mode-dfc-21.out 2>&1
  echo "$mode end $(date -u +%T) $(cat /proc/loadavg)" >> times.log
done
