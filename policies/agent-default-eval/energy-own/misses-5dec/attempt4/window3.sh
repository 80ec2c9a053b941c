#!/bin/bash
# s2d: 12 minutes of DAgger cloning with 4 updates per vector step (imitation capacity), resumed from s1's checkpoint; then its selection
cd /tmp/rew6
./stage.sh s2d 0 --resume /tmp/rew6/w/s1.ckpt --out /tmp/rew6/w/s2d.onnx --minutes 57 --seed 65 --profile agent --own-traffic --contexts train-demo \
  --teacher rollout --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --updates-per-step 4 --focus 0 --low-focus 0.3 --endpoints 0.3 \
  --cost-features --greedy-below 0.02 --probe-minutes 0 --progress-seconds 60 --checkpoint-minutes 3
./sel.sh /tmp/rew6/w/s2d.onnx s2d 50 0 9 11
echo "window3 done $(date -u +%T)" >> w/times
