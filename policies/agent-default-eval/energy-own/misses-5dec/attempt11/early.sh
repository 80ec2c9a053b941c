#!/bin/bash
# the column's purpose on early checkpoints (before 07:03, not gated): export, then the dne 0.97 split on the teacher's states; nice 19; ends 07:05
cd /tmp/lead-11
while [ $(date +%s) -lt $(date -d "07:05:00" +%s) ]; do
  for ck in $(ls ck/*.ckpt 2>/dev/null | sort); do
    n=$(basename $ck .ckpt); [ -f diag/$n.early ] && continue
    t=$(date -d "$(echo ${n##*-} | sed "s/\(..\)\(..\)\(..\)/\1:\2:\3/")" +%s)
    [ $t -ge $(date -d "07:03:00" +%s) ] && continue
    touch diag/$n.early
    nice -n 19 dotnet /tmp/lead-11/bin/edgeagent.dll train $(cat /tmp/lead-11/args) --resume /tmp/lead-11/$ck --minutes 1 --out /tmp/lead-11/ck/$n.onnx > ck/$n.export.log 2>&1
    nice -n 19 dotnet /tmp/lead-11/bin/edgeagent.dll eval decisions --policy /tmp/lead-11/ck/$n.onnx --contexts demo-near-edge --weights 0.97 --episodes 10 --seed 21 --driver rollout-observed-both > diag/decisions-$n-dne-21-w097.md 2>&1
    echo "$n early split-dne $(date -u +%T) $(grep -o 'resumed from.*' ck/$n.export.log | sed 's/.*: //') $(grep -- '- policy:' diag/decisions-$n-dne-21-w097.md)" >> sel/log
  done
  sleep 20
done
