#!/bin/bash
# information only (the candidate already failed the gate): the rest of the wide selection set for checkpoint NAME; nice 19; stops by 22:47:30
cd /tmp/rew10/sel; E=/tmp/rew10/bin/edgeagent.dll; n=$1; shift
for r in "$@"; do IFS=: read c s ep <<< "$r"; d=$n-$c-$s-e$ep
  [ -f $d/report.json ] && continue
  [ $(date +%s) -gt $(date -d "22:47:30" +%s) ] && { echo "$n info stops $(date -u +%T)" >> log; break; }
  echo "$n $c $s start $(date -u +%T) $(cat /proc/loadavg) (info)" >> log
  nice -n 19 dotnet $E eval --profile agent --policy /tmp/rew10/ck/$n.onnx --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --baselines heuristic,greedy-expected --report /tmp/rew10/sel/$d > $d.out 2>&1
  echo "$n $c $s end $(date -u +%T) $(cat /proc/loadavg) rc $? (info)" >> log
  python3 /tmp/rew10/band.py /tmp/rew10/sel/$d >> summary
done
