#!/bin/bash
# rew's soft window 18:55-19:55 UTC (issue 12, seventh attempt): the committed stage 2's recipe (cloning the rollout teacher for
# 10 minutes on the committed 50-minute stage 1: the 60-minute budget) with an information-fair teacher that continues with the
# better of greedy and the heuristic (--rollout-observed --rollout-continuation both); two draws side by side (seeds 301, 302),
# wide selection on validation seeds (pass.py: attempt6's gate), then held-out + upper bound of the best passing draw; guard 19:54
cd /tmp/rew9
now=$(date +%s); t=$(date -d "18:55:05" +%s); [ $t -gt $now ] && sleep $((t-now))
echo -10 > /proc/$$/autogroup
echo "window start $(date -u +%T) $(cat /proc/loadavg) autogroup $(cat /proc/$$/autogroup)" >> w/times
sid=$(ps -o sid= -p $$ | tr -d ' ')
( g=$(date -d "19:54:00" +%s); sleep $(( g - $(date +%s) )); echo "guard $(date -u +%T): stopping what is left" >> w/times; pkill -TERM -s $sid -f /tmp/rew9/bin/edgeagent.dll ) &
guard=$!
S2="--profile agent --own-traffic --contexts train-demo --resume /tmp/rew9/stage1.onnx --minutes 10 --teacher rollout --rollout-observed --rollout-continuation both --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --focus 0 --low-focus 0.3 --endpoints 0.3 --cost-features --greedy-below 0.02 --probe-minutes 0 --progress-seconds 60 --checkpoint-minutes 2"
./stage.sh t301 $S2 --out t301.onnx --seed 301 & p1=$!
sleep 3
./stage.sh t302 $S2 --out t302.onnx --seed 302 & p2=$!
wait $p1 $p2
RUNS="demo-fast-cloud:9:50 demo-fast-cloud:11:50 demo-near-edge:9:50 demo-near-edge:11:50 demo:9:50 demo:11:50 peers-8:21:50 peers-8:22:50 bw-1000mbit:21:10 rtt-300ms:21:10 speed-20x:21:10 speed-0.25x:21:10 peers-1:21:10 rtt-0.2ms:21:10"
./sel.sh /tmp/rew9/w/t301.onnx t301 $RUNS & p1=$!
./sel.sh /tmp/rew9/w/t302.onnx t302 $RUNS & p2=$!
wait $p1 $p2
for n in t301 t302; do echo "$n $(python3 pass.py $n) $(date -u +%T)" >> sel/summary; done
best=$(for n in t301 t302; do python3 pass.py $n | awk -v n=$n '$1=="PASS"{print $5, n}'; done | sort -n | head -1 | awk '{print $2}')
if [ -n "$best" ]; then
  echo "held-out $best start $(date -u +%T) $(cat /proc/loadavg)" >> w/times
  ./ho.sh /tmp/rew9/w/$best.onnx $best demo-fast-cloud:101:20 demo-near-edge:101:20 demo:101:20 demo-slow-links:101:20 demo-world:101:20 train:101:20 train:103:20 train:105:20 bw-1000mbit:104:10 bw-1mbit:104:10 peers-0:104:10 peers-1:104:10 peers-8:104:10 rtt-0.2ms:104:10 rtt-300ms:104:10 speed-0.25x:104:10 speed-20x:104:10 & p1=$!
  ./ho.sh /tmp/rew9/w/$best.onnx $best ub:7:20 demo-fast-cloud:8:20 demo-near-edge:8:20 demo:8:20 demo-slow-links:8:20 demo-world:102:20 train:102:20 train:104:20 bw-1000mbit:105:10 bw-1mbit:105:10 peers-0:105:10 peers-1:105:10 peers-8:105:10 rtt-0.2ms:105:10 rtt-300ms:105:10 speed-0.25x:105:10 speed-20x:105:10 & p2=$!
  wait $p1 $p2
fi
pkill -P $guard; kill $guard 2>/dev/null
echo "window done $(date -u +%T) $(cat /proc/loadavg)" >> w/times
