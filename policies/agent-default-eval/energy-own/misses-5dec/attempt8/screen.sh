#!/bin/bash
# the selection lane beside training (nice 19): each checkpoint copied at or after FROM (HH:MM:SS) is exported (train --resume CKPT --minutes 1:
# no training, only the policy file) and put through sel.sh (stops at its first failing run); ends when /tmp/rew10/ckwatch.stop exists and all are done
cd /tmp/rew10
from=$(date -d "$1" +%s)
RUNS="demo-fast-cloud:9:50 demo-fast-cloud:11:50 demo-near-edge:9:50 demo-near-edge:11:50 demo:9:50 demo:11:50 peers-8:21:50 peers-8:22:50 bw-1000mbit:21:10 rtt-300ms:21:10 speed-20x:21:10 speed-0.25x:21:10 peers-1:21:10 rtt-0.2ms:21:10"
while true; do
  stop=0; [ -f /tmp/rew10/ckwatch.stop ] && stop=1
  for ck in $(ls ck/*.ckpt 2>/dev/null | sort); do
    n=$(basename $ck .ckpt); [ -f ck/$n.done ] && continue
    t=$(date -d "$(echo ${n##*-} | sed "s/\(..\)\(..\)\(..\)/\1:\2:\3/")" +%s)
    [ $t -lt $from ] && { touch ck/$n.done; continue; }
    touch ck/$n.done
    nice -n 19 dotnet /tmp/rew10/bin/edgeagent.dll train $(cat /tmp/rew10/args) --resume /tmp/rew10/$ck --minutes 1 --out /tmp/rew10/ck/$n.onnx > ck/$n.export.log 2>&1
    echo "$n exported $(date -u +%T) $(grep -o 'updates=[0-9]*' /tmp/rew10/w/s1.log | tail -1)" >> sel/log
    ./sel.sh /tmp/rew10/ck/$n.onnx $n $RUNS
  done
  [ $stop = 1 ] && break
  [ $(date +%s) -gt $(date -d "22:47:30" +%s) ] && break
  sleep 20
done
echo "screen lane done $(date -u +%T)" >> sel/log
