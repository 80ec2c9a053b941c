#!/bin/bash
B="dotnet /tmp/rew9/bin/edgeagent.dll"
lane=$1
if [ $lane = a ]; then
 for cont in heuristic both; do
  echo "obs-$cont start $(date -u +%T) $(cat /proc/loadavg)" >> times.log
  nice -n 10 $B eval --profile agent --policy /tmp/rew9/committed.onnx --contexts demo-fast-cloud --preferences 101 --no-bend --rollout --rollout-grid --rollout-episodes 10 --episodes 10 --seed 21 --baselines heuristic --rollout-observed --rollout-continuation $cont --report rollout-obs-$cont-dfc-21 > rollout-obs-$cont-dfc-21.out 2>&1
  echo "obs-$cont end $(date -u +%T) $(cat /proc/loadavg)" >> times.log
 done
else
  echo "decisions start $(date -u +%T) $(cat /proc/loadavg)" >> times.log
  nice -n 10 $B eval decisions --policy /tmp/rew9/committed.onnx --contexts demo-fast-cloud --weights 0.6,0.64,0.67,0.7,0.73,0.76 --episodes 10 --seed 21 --driver heuristic > decisions-heuristic-dfc-21.md 2>&1
  echo "decisions end $(date -u +%T) $(cat /proc/loadavg)" >> times.log
fi
