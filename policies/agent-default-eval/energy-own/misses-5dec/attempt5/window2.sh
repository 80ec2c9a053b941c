#!/bin/bash
# rew's soft window, second part (13:50-14:30): one slot of two 10-minute draws (milder band focus), selection incl. peers-8 seed 21
echo -10 > /proc/$$/autogroup
cd /tmp/rew7
echo "window2 start $(date -u +%T) $(cat /proc/loadavg) autogroup $(cat /proc/$$/autogroup)" >> w/times
./lane.sh C &
sleep 5
./lane.sh D &
# information: is fa72's peers-8 loss the recipe? peers-8 seed 21 for the other draws of the recipe
for n in fa71 fb81; do
  dotnet /tmp/rew7/bin/edgeagent.dll eval --profile agent --policy /tmp/rew7/w/$n.onnx --compare /work/wt/rew/policies/agent-default.onnx --contexts peers-8 --preferences 101 --no-bend \
    --episodes 50 --seed 21 --baselines heuristic,greedy-expected --report /tmp/rew7/chk/$n-peers-8-21-e50 > /tmp/rew7/chk/$n-peers-8-21-e50.out 2>&1
  echo "$n peers-8 21 info end $(date -u +%T) $(cat /proc/loadavg)" >> chk/log
done
wait
echo "window2 lanes done $(date -u +%T) $(cat /proc/loadavg)" >> w/times
