#!/bin/bash
# rew's soft window 13:10-14:30 UTC (issue 12 band miss): two lanes of 10-minute stage-2 draws from the committed stage 1, selection after each
cd /tmp/rew7
now=$(date +%s); t=$(date -d "13:10:05" +%s); [ $t -gt $now ] && sleep $((t-now))
echo -10 > /proc/$$/autogroup
echo "window start $(date -u +%T) $(cat /proc/loadavg) autogroup $(cat /proc/$$/autogroup)" >> w/times
./lane.sh A &
sleep 20
./lane.sh B &
wait
echo "window lanes done $(date -u +%T) $(cat /proc/loadavg)" >> w/times
