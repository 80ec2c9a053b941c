#!/bin/bash
# information: demo-near-edge validation seeds 21 and 22 (50 episodes) for every checkpoint that passed the gate, to pool w_delay 0.97 with seeds 9/11; nice 19; guard 02:34
cd /tmp/rew-9; E=/tmp/rew-9/bin/edgeagent.dll
for s in 21 22; do for n in s1-015118 s1-020018 s1-015713 s1-020614 s1-020919 final; do
  f=/tmp/rew-9/ck/$n.onnx; [ $n = final ] && f=/tmp/rew-9/w/s1.onnx
  d=ne/$n-demo-near-edge-$s-e50; [ -f $d/report.json ] && continue
  [ $(date +%s) -gt $(date -d "02:34:00" +%s) ] && { echo "ne stops $(date -u +%T)" >> ne/log; exit; }
  st=$(date -u +%T)
  nice -n 19 dotnet $E eval --profile agent --policy $f --compare /work/wt/rew/policies/agent-default.onnx --contexts demo-near-edge --preferences 101 --no-bend \
    --episodes 50 --seed $s --baselines heuristic,greedy-expected --report /tmp/rew-9/$d > $d.out 2>&1
  echo "$n demo-near-edge $s $st-$(date -u +%T) rc $? $(cat /proc/loadavg)" >> ne/log
done; done
