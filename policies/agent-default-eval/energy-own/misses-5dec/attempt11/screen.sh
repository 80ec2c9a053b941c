#!/bin/bash
# the selection lane beside training (nice 19): each checkpoint copied at or after FROM (HH:MM:SS) is exported (train --resume CKPT --minutes 1:
# no training, only the policy file) and put through sel.sh (the 8 gate runs; stops at its first failing run); ends when /tmp/lead-11/ckwatch.stop exists and all are done, or at 08:40:00
# tenth attempt: also the agreement split at w_delay 0.97 on demo-near-edge (the diagnosis' near-edge share), before the gate runs;
# a file that passes all 8 is queued for ne.sh (rule part (2): demo-near-edge 21/22 at 50 episodes, pooled with 9/11 by pool.py)
cd /tmp/lead-11
from=$(date -d "$1" +%s); order=""; [ "$2" = rev ] && order=-r   # rev: newest first (a second lane after training ends)
RUNS="demo-fast-cloud:9:50 peers-8:21:50 demo-fast-cloud:11:50 demo-near-edge:9:50 demo-near-edge:11:50 demo:9:50 demo:11:50 peers-8:22:50"
while true; do
  stop=0; [ -f /tmp/lead-11/ckwatch.stop ] && stop=1
  for ck in $(ls ck/*.ckpt 2>/dev/null | sort $order); do
    n=$(basename $ck .ckpt); [ -f ck/$n.done ] && continue
    t=$(date -d "$(echo ${n##*-} | sed "s/\(..\)\(..\)\(..\)/\1:\2:\3/")" +%s)
    [ $t -lt $from ] && { touch ck/$n.done; continue; }
    touch ck/$n.done
    nice -n 19 dotnet /tmp/lead-11/bin/edgeagent.dll train $(cat /tmp/lead-11/args) --resume /tmp/lead-11/$ck --minutes 1 --out /tmp/lead-11/ck/$n.onnx > ck/$n.export.log 2>&1
    echo "$n exported $(date -u +%T) $(grep -o "resumed from.*" ck/$n.export.log | sed "s/.*: //")" >> sel/log
    # the agreement split on the teacher's states (the column's purpose), 10 episodes, cheap
    nice -n 19 dotnet /tmp/lead-11/bin/edgeagent.dll eval decisions --policy /tmp/lead-11/ck/$n.onnx --contexts demo-fast-cloud --weights 0.67 --episodes 10 --seed 21 --driver rollout-observed-both > diag/decisions-$n-dfc-21.md 2>&1
    echo "$n split $(date -u +%T) $(grep -- '- policy:' diag/decisions-$n-dfc-21.md)" >> sel/log
    nice -n 19 dotnet /tmp/lead-11/bin/edgeagent.dll eval decisions --policy /tmp/lead-11/ck/$n.onnx --contexts demo-near-edge --weights 0.97 --episodes 10 --seed 21 --driver rollout-observed-both > diag/decisions-$n-dne-21-w097.md 2>&1
    echo "$n split-dne $(date -u +%T) $(grep -A1 -- '^| policy' diag/decisions-$n-dne-21-w097.md | head -1) $(grep -- '- policy:' diag/decisions-$n-dne-21-w097.md)" >> sel/log
    ./sel.sh /tmp/lead-11/ck/$n.onnx $n $RUNS
    python3 /tmp/lead-11/gate8.py $n | grep -q ' PASS 8 ' && { echo "$n /tmp/lead-11/ck/$n.onnx" >> ne/queue; echo "$n passes the gate, queued for ne $(date -u +%T)" >> sel/log; }
  done
  [ $stop = 1 ] && break
  [ $(date +%s) -gt $(date -d "08:40:00" +%s) ] && break
  sleep 20
done
echo "screen lane done $(date -u +%T)" >> sel/log
