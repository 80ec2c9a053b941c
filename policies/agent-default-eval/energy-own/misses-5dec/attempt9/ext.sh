#!/bin/bash
# information only (after the verdict): the seed-105 runs where the heuristic's HV was above s1-015118's, and dne 8 (LinUCB), with more episodes; nice 19
cd /tmp/rew-9; E=/tmp/rew-9/bin/edgeagent.dll; n=$1; shift
for r in "$@"; do IFS=: read c s ep <<< "$r"; d=ext/$n-$c-$s-e$ep; [ -f $d/report.json ] && continue
  [ $(date +%s) -gt $(date -d "02:34:00" +%s) ] && { echo "$n ext stops $(date -u +%T)" >> ext/log; break; }
  st=$(date -u +%T)
  nice -n 19 dotnet $E eval --profile agent --policy /tmp/rew-9/ck/$n.onnx --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --report /tmp/rew-9/$d > $d.out 2>&1
  echo "$n $c $s e$ep $st-$(date -u +%T) rc $? $(cat /proc/loadavg)" >> ext/log
done
