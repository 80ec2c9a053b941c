#!/bin/bash
# usage: ho.sh CAND.onnx NAME RUNS...  -- held-out evaluation as in policies/README.md "Evaluation of this file": every baseline, against the committed file
cd /tmp/rew9/ho; mkdir -p $2; cd $2
E=/tmp/rew9/bin/edgeagent.dll
cand=$1; shift 2
for r in "$@"; do IFS=: read c s ep <<< "$r"
  [ -f $c-$s/report.json ] && continue
  [ $(date +%s) -gt $(date -d "19:53:00" +%s) ] && { echo "stops $(date -u +%T)" >> log; break; }
  echo "$c $s start $(date -u +%T) $(cat /proc/loadavg)" >> log
  if [ $c = ub ]; then
    dotnet $E eval --profile agent --policy $cand --contexts train --preferences 101 --no-bend --episodes 20 --seed 7 \
      --upper-bound /work/wt/rew/policies/agent-upper-bound --report $PWD/upper-bound-7 > upper-bound-7.out 2>&1
  else
    dotnet $E eval --profile agent --policy $cand --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
      --episodes $ep --seed $s --report $PWD/$c-$s > $c-$s.out 2>&1
  fi
  echo "$c $s end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log
done
