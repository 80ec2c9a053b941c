#!/bin/bash
# dry run of the lane's steps on the 3-minute checkpoint (nice 19; short episodes; output in /tmp/rew-10/dry only)
cd /tmp/rew-10; E=/tmp/rew-10/bin/edgeagent.dll; n=s1-040206
echo "export start $(date -u +%T) $(cat /proc/loadavg)" > dry/log
nice -n 19 dotnet $E train $(cat args) --resume /tmp/rew-10/ck/$n.ckpt --minutes 1 --out /tmp/rew-10/dry/$n.onnx > dry/$n.export.log 2>&1
echo "export end $(date -u +%T) rc $? $(grep -o "resumed from.*" dry/$n.export.log)" >> dry/log
nice -n 19 dotnet $E eval decisions --policy dry/$n.onnx --contexts demo-near-edge --weights 0.97 --episodes 10 --seed 21 --driver rollout-observed-both > dry/decisions-$n-dne-21-w097.md 2>&1
echo "split-dne end $(date -u +%T) rc $? $(grep -A1 -- '^| policy' dry/decisions-$n-dne-21-w097.md | head -1) $(grep -- '- policy:' dry/decisions-$n-dne-21-w097.md)" >> dry/log
for s in 9 21; do
nice -n 19 dotnet $E eval --profile agent --policy dry/$n.onnx --compare /work/wt/rew/policies/agent-default.onnx --contexts demo-near-edge --preferences 101 --no-bend \
    --episodes 10 --seed $s --baselines heuristic,greedy-expected --report /tmp/rew-10/dry/$n-dne-$s-e10 < /dev/null > dry/$n-dne-$s-e10.out 2>&1
echo "eval dne $s end $(date -u +%T) rc $? $(cat /proc/loadavg)" >> dry/log
done
python3 pool.py dry/$n-dne-9-e10 dry/$n-dne-21-e10 >> dry/log
