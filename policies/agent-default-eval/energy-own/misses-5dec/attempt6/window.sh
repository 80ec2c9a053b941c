#!/bin/bash
# rew's soft window 16:00-17:10 UTC (issue 12, plan A: the own request rate column): fresh stage 1 (37 min) in the 43-column layout,
# two 10-minute stage-2 draws side by side from its checkpoint (stage 1 + stage 2 = 47 min of the 60-minute budget), wide selection
# on validation seeds, then held-out of the best candidate that passes; nothing runs after 17:08:30 (guard)
cd /tmp/rew8
now=$(date +%s); t=$(date -d "16:00:05" +%s); [ $t -gt $now ] && sleep $((t-now))
echo -10 > /proc/$$/autogroup
echo "window start $(date -u +%T) $(cat /proc/loadavg) autogroup $(cat /proc/$$/autogroup)" >> w/times
sid=$(ps -o sid= -p $$ | tr -d ' ')
( g=$(date -d "17:08:30" +%s); sleep $(( g - $(date +%s) )); echo "guard $(date -u +%T): stopping what is left" >> w/times; pkill -TERM -s $sid -f /tmp/rew8/bin/edgeagent.dll ) &
guard=$!
COMMON="--profile agent --own-rate --teacher rollout --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --cost-features --greedy-below 0.02 --probe-minutes 0 --progress-seconds 60"
./stage.sh s1 $COMMON --contexts train-demo --out s1.onnx --minutes 37 --seed 201 --focus 0 --low-focus 0.2 --endpoints 0.2 --checkpoint-minutes 3
S2="$COMMON --contexts train-demo --resume s1.ckpt --minutes 47 --low-focus 0.3 --endpoints 0.3 --checkpoint-minutes 2 --updates-per-step 4 --focus 0.3 --focus-min 0.55"
./stage.sh s2a $S2 --out s2a.onnx --seed 202 & p1=$!
sleep 3
./stage.sh s2b $S2 --out s2b.onnx --seed 203 & p2=$!
wait $p1 $p2
RUNS="demo-fast-cloud:9:50 demo-fast-cloud:11:50 demo-near-edge:9:50 demo-near-edge:11:50 demo:9:50 demo:11:50 peers-8:21:50 peers-8:22:50 bw-1000mbit:21:10 rtt-300ms:21:10 speed-20x:21:10 speed-0.25x:21:10 peers-1:21:10 rtt-0.2ms:21:10"
./sel.sh /tmp/rew8/w/s2a.onnx s2a $RUNS & p1=$!
./sel.sh /tmp/rew8/w/s2b.onnx s2b $RUNS & p2=$!
wait $p1 $p2
for n in s2a s2b; do echo "$n $(python3 pass.py $n) $(date -u +%T)" >> sel/summary; done
best=$(for n in s2a s2b; do python3 pass.py $n | awk -v n=$n '$1=="PASS"{print $5, n}'; done | sort -n | head -1 | awk '{print $2}')
if [ -n "$best" ]; then
  echo "held-out $best start $(date -u +%T) $(cat /proc/loadavg)" >> w/times
  ./ho.sh /tmp/rew8/w/$best.onnx $best demo-fast-cloud:101:20 demo-near-edge:101:20 demo:101:20 demo-slow-links:101:20 demo-world:101:20 train:101:20 train:103:20 train:105:20 bw-1000mbit:104:10 bw-1mbit:104:10 peers-0:104:10 peers-1:104:10 peers-8:104:10 rtt-0.2ms:104:10 rtt-300ms:104:10 speed-0.25x:104:10 speed-20x:104:10 & p1=$!
  ./ho.sh /tmp/rew8/w/$best.onnx $best ub:7:20 demo-fast-cloud:8:20 demo-near-edge:8:20 demo:8:20 demo-slow-links:8:20 demo-world:102:20 train:102:20 train:104:20 bw-1000mbit:105:10 bw-1mbit:105:10 peers-0:105:10 peers-1:105:10 peers-8:105:10 rtt-0.2ms:105:10 rtt-300ms:105:10 speed-0.25x:105:10 speed-20x:105:10 & p2=$!
  wait $p1 $p2
fi
pkill -P $guard; kill $guard 2>/dev/null
echo "window done $(date -u +%T) $(cat /proc/loadavg)" >> w/times
