#!/bin/bash
# rew's soft window 07:25-07:55 UTC: three stage-2 draws at nice 0, each evaluated on validation seeds 9/11 (50 episodes) right after
cd /tmp/rew5
now=$(date +%s); t=$(date -d "07:25:01" +%s); [ $t -gt $now ] && sleep $((t-now))
./draw.sh a52 52 10000 0
(./sel.sh /tmp/rew5/w/a52.onnx a52 50 10 9 11 &)
./draw.sh b53 53 12000 0
(./sel.sh /tmp/rew5/w/b53.onnx b53 50 10 9 11 &)
# C: whatever is left until 07:54:45 (at most 10 minutes), so it ends before s2r's strict window at 07:55
now=$(date +%s); t=$(date -d "07:54:45" +%s)
MIN=$(python3 -c "print(min(10, round(($t-$now)/60, 2)))") ./draw.sh c54 54 11000 0
echo "window1 done $(date -u +%T)" >> w/times
