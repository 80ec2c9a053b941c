#!/bin/bash
# information only (the candidate already failed the gate): the rest of the wide selection set for checkpoint NAME; nice 19; stops by 02:34:00
cd /tmp/rew-9/sel; E=/tmp/rew-9/bin/edgeagent.dll; n=$1; shift
for r in "$@"; do IFS=: read c s ep <<< "$r"; d=$n-$c-$s-e$ep
  [ -f $d/report.json ] && continue
  [ $(date +%s) -gt $(date -d "02:34:00" +%s) ] && { echo "$n info stops $(date -u +%T)" >> log; break; }
  echo "$n $c $s start $(date -u +%T) $(cat /proc/loadavg) (info)" >> log
  nice -n 19 dotnet $E eval --profile agent --policy /tmp/rew-9/ck/$n.onnx --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --baselines heuristic,greedy-expected --report /tmp/rew-9/sel/$d > $d.out 2>&1
  echo "$n $c $s end $(date -u +%T) $(cat /proc/loadavg) rc $? (info)" >> log
  python3 /tmp/rew-9/band.py /tmp/rew-9/sel/$d >> summary
done
