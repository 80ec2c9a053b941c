#!/bin/bash
# usage: heldout.sh CAND.onnx NAME  -- the committed file's held-out evaluation (policies/README.md "Evaluation of this file") for a candidate
# that passed the validation gate: every baseline, --compare the committed file; E = 20 for demo*, demo-world, train; 10 at the range ends; nice 19
cd /tmp/lead-11; mkdir -p ho; cand=$1; name=$2
E=/tmp/lead-11/bin/edgeagent.dll
RUNS="demo:101:20 demo:8:20 demo-fast-cloud:101:20 demo-fast-cloud:8:20 demo-near-edge:101:20 demo-near-edge:8:20 demo-slow-links:101:20 demo-slow-links:8:20 demo-world:101:20 demo-world:102:20 train:101:20 train:102:20 train:103:20 train:104:20 train:105:20"
for s in 104 105; do for c in bw-1000mbit bw-1mbit peers-0 peers-1 peers-8 rtt-0.2ms rtt-300ms speed-0.25x speed-20x; do RUNS="$RUNS $c:$s:10"; done; done
for r in $RUNS; do IFS=: read c s ep <<< "$r"; d=ho/$name/$c-$s; mkdir -p ho/$name
  [ -f $d/report.json ] && continue
  st=$(date -u +%T)
  nice -n 19 dotnet $E eval --profile agent --policy $cand --compare /work/wt/lead/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --report /tmp/lead-11/$d < /dev/null > $d.out 2>&1
  echo "$name $c $s $st-$(date -u +%T) rc $? $(cat /proc/loadavg)" >> ho/log
done
echo "$name heldout done $(date -u +%T)" >> ho/log
