#!/bin/bash
# usage: sel.sh CAND.onnx NAME RUNS...   RUNS: context:seed:episodes ; validation seeds only; against the committed file (common random numbers); nice 19
# stops at the first run where the candidate fails the gate (worse than the heuristic beyond 2 SE anywhere; below greedy-expected on demo*/peers-8)
cd /tmp/lead-11/sel
E=/tmp/lead-11/bin/edgeagent.dll
cand=$1; name=$2; shift 2
for r in "$@"; do IFS=: read c s ep <<< "$r"
  d=$name-$c-$s-e$ep
  [ -f $d/report.json ] && continue
  [ $(date +%s) -gt $(date -d "08:40:00" +%s) ] && { echo "$name stops $(date -u +%T)" >> log; break; }
  echo "$name $c $s start $(date -u +%T) $(cat /proc/loadavg)" >> log
  nice -n 19 dotnet $E eval --profile agent --policy $cand --compare /work/wt/lead/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --baselines heuristic,greedy-expected --report /tmp/lead-11/sel/$d > $d.out 2>&1
  echo "$name $c $s end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log
  python3 /tmp/lead-11/band.py /tmp/lead-11/sel/$d >> summary
  python3 /tmp/lead-11/pass.py $name | grep -q '^PASS' || { echo "$name FAILS at $d $(date -u +%T)" >> log; break; }
done
