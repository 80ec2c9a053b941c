#!/bin/bash
# usage: ext.sh NAME FILE RUNS...  (RUNS context:seed:episodes) -- extra held-out runs for a chosen file, every baseline, --compare the committed file;
# tenth attempt: demo-near-edge 8 at 50 episodes (rule part (3)'s last clause); nice 19; guard 08:40
cd /tmp/lead-11; E=/tmp/lead-11/bin/edgeagent.dll; n=$1; f=$2; shift 2
for r in "$@"; do IFS=: read c s ep <<< "$r"; d=ext/$n-$c-$s-e$ep; [ -f $d/report.json ] && continue
  [ $(date +%s) -gt $(date -d "08:40:00" +%s) ] && { echo "$n ext stops $(date -u +%T)" >> ext/log; break; }
  st=$(date -u +%T)
  nice -n 19 dotnet $E eval --profile agent --policy $f --compare /work/wt/lead/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --report /tmp/lead-11/$d < /dev/null > $d.out 2>&1
  echo "$n $c $s e$ep $st-$(date -u +%T) rc $? $(cat /proc/loadavg)" >> ext/log
done
