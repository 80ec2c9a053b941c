#!/bin/bash
# rew's soft window 21:35-22:40 UTC (issue 12, eighth attempt): a fresh 60-minute stage (DAgger cloning from scratch, 43-column layout)
# of the observation-fair rollout teacher (--rollout-observed --rollout-continuation both), checkpoints every 3 minutes;
# beside it (nice 19) each checkpoint from 30 minutes on is exported and put through the wide selection gate (validation seeds only);
# then the final file; guard 22:48:00 (tel's strict window from 22:50)
cd /tmp/rew10
now=$(date +%s); t=$(date -d "21:35:05" +%s); [ $t -gt $now ] && sleep $((t-now))
echo -10 > /proc/$$/autogroup
echo "window start $(date -u +%T) $(cat /proc/loadavg) autogroup $(cat /proc/$$/autogroup)" >> w/times
pg=$(ps -o pgid= -p $$ | tr -d ' ')
( g=$(date -d "22:48:00" +%s); sleep $(( g - $(date +%s) )); echo "guard $(date -u +%T): stopping what is left" >> w/times; kill -TERM -- -$pg ) &
./ckwatch.sh /tmp/rew10/w/s1.ckpt s1 > /dev/null 2>&1 &
./screen.sh 22:05:00 > /dev/null 2>&1 &
scr=$!
./stage.sh s1 $(cat args) --out /tmp/rew10/w/s1.onnx --minutes 60 --progress-seconds 60 --checkpoint-minutes 3
touch /tmp/rew10/ckwatch.stop
renice -n 19 -g $pg > /dev/null
RUNS="demo-fast-cloud:9:50 demo-fast-cloud:11:50 demo-near-edge:9:50 demo-near-edge:11:50 demo:9:50 demo:11:50 peers-8:21:50 peers-8:22:50 bw-1000mbit:21:10 rtt-300ms:21:10 speed-20x:21:10 speed-0.25x:21:10 peers-1:21:10 rtt-0.2ms:21:10"
./sel.sh /tmp/rew10/w/s1.onnx final $RUNS
echo "final $(python3 pass.py final) $(date -u +%T)" >> sel/summary
mkdir -p diag; cd diag
echo "decisions start $(date -u +%T) $(cat /proc/loadavg)" >> ../w/times
nice -n 19 dotnet /tmp/rew10/bin/edgeagent.dll eval decisions --policy /tmp/rew10/w/s1.onnx --contexts demo-fast-cloud --weights 0.62,0.67,0.72 --episodes 10 --seed 21 --driver rollout-observed-both > decisions-final-dfc-21.md 2>&1
echo "decisions end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> ../w/times
cd ..
wait $scr
echo "window done $(date -u +%T) $(cat /proc/loadavg)" >> w/times
kill -TERM -- -$pg
