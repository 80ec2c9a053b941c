#!/bin/bash
# noise check of the candidate's 0.67 point on demo-fast-cloud: validation seeds 21 and 22 and held-out seed 8 with 100 episodes
echo -10 > /proc/$$/autogroup
cd /tmp/rew7/chk
E=/tmp/rew7/bin/edgeagent.dll
name=$1
while ! grep -q "heldout done" /tmp/rew7/ho/$name/log 2>/dev/null; do sleep 5; done
for s in 21 22 8; do for c in demo-fast-cloud demo-near-edge; do
  echo "$name $c $s start $(date -u +%T) $(cat /proc/loadavg)" >> log
  dotnet $E eval --profile agent --policy /tmp/rew7/w/$name.onnx --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes 100 --seed $s --baselines heuristic,greedy-expected --report /tmp/rew7/chk/$name-$c-$s-e100 > $name-$c-$s-e100.out 2>&1
  echo "$name $c $s end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log
done; done
echo "chk done $(date -u +%T)" >> log
