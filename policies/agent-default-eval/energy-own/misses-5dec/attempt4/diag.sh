#!/bin/bash
# usage: diag.sh CKPT NAME -- export a checkpoint to onnx (no training) and evaluate it on demo-fast-cloud seed 9 (50 episodes), nice 19
cd /tmp/rew6/diag; ck=$1; n=$2
cp $ck $n.in.ckpt
nice -n 19 dotnet /tmp/rew6/bin/edgeagent.dll train --profile agent --own-traffic --contexts train-demo --resume /tmp/rew6/diag/$n.in.ckpt --out /tmp/rew6/diag/$n.onnx --minutes 1 --seed 61 --teacher rollout --dagger 0.5 --bc-updates 40000 --teacher-weight 2 --focus 0 --low-focus 0.2 --endpoints 0.2 --cost-features --greedy-below 0.02 --probe-minutes 0 > $n.log 2>&1
head -1 $n.log
echo "$n start $(date -u +%T) $(cat /proc/loadavg)" >> log
nice -n 19 dotnet /tmp/rew6/bin/edgeagent.dll eval --profile agent --policy $n.onnx --compare /work/wt/rew/policies/agent-default.onnx --contexts demo-fast-cloud --preferences 101 --no-bend --episodes 50 --seed 9 --baselines heuristic,greedy-expected --report /tmp/rew6/diag/$n-demo-fast-cloud-9-e50 > $n-dfc9.out 2>&1
echo "$n end $(date -u +%T) $(cat /proc/loadavg)" >> log
python3 /tmp/rew6/summ.py /tmp/rew6/diag/$n-demo-fast-cloud-9-e50
