#!/bin/bash
# rew's soft window 10:10-11:25 UTC (issue 12, option 1): stage 1 (45 min, checkpoint kept), then two 15-minute stage-2 draws resumed from its checkpoint
cd /tmp/rew6
now=$(date +%s); t=$(date -d "10:10:05" +%s); [ $t -gt $now ] && sleep $((t-now))
./ckwatch.sh /tmp/rew6/w/s1.ckpt s1 > /dev/null 2>&1 &
./stage.sh s1 0 --profile agent --own-traffic --contexts train-demo --out /tmp/rew6/w/s1.onnx --minutes 45 --seed 61 \
  --teacher rollout --dagger 0.5 --bc-updates 40000 --teacher-weight 2 --focus 0 --low-focus 0.2 --endpoints 0.2 \
  --cost-features --greedy-below 0.02 --probe-minutes 0 --progress-seconds 60 --checkpoint-minutes 3
touch /tmp/rew6/ckwatch.stop
cp /tmp/rew6/w/s1.ckpt /tmp/rew6/ckpts/s1-final.ckpt
(./sel.sh /tmp/rew6/w/s1.onnx s1 50 19 9 11 &)
./stage.sh s2a 0 --resume /tmp/rew6/w/s1.ckpt --out /tmp/rew6/w/s2a.onnx --minutes 60 --seed 62 --profile agent --own-traffic --contexts train-demo-half \
  --teacher rollout --dagger 0.5 --bc-updates 40000 --teacher-weight 2 --focus 0 --low-focus 0.1 --endpoints 0.1 \
  --cost-features --greedy-below 0.02 --probe-minutes 0 --progress-seconds 60 --checkpoint-minutes 3
(./sel.sh /tmp/rew6/w/s2a.onnx s2a 50 19 9 11 &)
./stage.sh s2b 0 $(cat /tmp/rew6/s2b.args)
./sel.sh /tmp/rew6/w/s2b.onnx s2b 50 0 9 11
echo "window done $(date -u +%T)" >> w/times
