#!/bin/bash
# usage: heldout.sh CAND.onnx NICE NAME  -- held-out evaluation as in policies/README.md "Evaluation of this file": every baseline, against the committed file
cd /tmp/rew7/ho
E=/tmp/rew7/bin/edgeagent.dll
cand=$1; nc=$2; mkdir -p /tmp/rew7/ho/$3; cd /tmp/rew7/ho/$3
runs="demo-fast-cloud:101:20 demo-fast-cloud:8:20 demo-near-edge:101:20 demo-near-edge:8:20 demo:101:20 demo:8:20 demo-slow-links:101:20 demo-slow-links:8:20 demo-world:101:20 demo-world:102:20 train:101:20 train:102:20 train:103:20 train:104:20 train:105:20 bw-1000mbit:104:10 bw-1000mbit:105:10 bw-1mbit:104:10 bw-1mbit:105:10 peers-0:104:10 peers-0:105:10 peers-1:104:10 peers-1:105:10 peers-8:104:10 peers-8:105:10 rtt-0.2ms:104:10 rtt-0.2ms:105:10 rtt-300ms:104:10 rtt-300ms:105:10 speed-0.25x:104:10 speed-0.25x:105:10 speed-20x:104:10 speed-20x:105:10"
for r in $runs; do IFS=: read c s ep <<< "$r"
  [ -f $c-$s/report.json ] && continue
  echo "$c $s start $(date -u +%T) $(cat /proc/loadavg) nice $nc" >> log
  nice -n $nc dotnet $E eval --profile agent --policy $cand --compare /work/wt/rew/policies/agent-default.onnx --contexts $c --preferences 101 --no-bend \
    --episodes $ep --seed $s --report /tmp/rew7/ho/$3/$c-$s > $c-$s.out 2>&1
  echo "$c $s end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log
done
if [ ! -f upper-bound-7/report.json ]; then
  echo "ub start $(date -u +%T) $(cat /proc/loadavg)" >> log
  nice -n $nc dotnet $E eval --profile agent --policy $cand --contexts train --preferences 101 --no-bend --episodes 20 --seed 7 \
    --upper-bound /work/wt/rew/policies/agent-upper-bound --report /tmp/rew7/ho/$3/upper-bound-7 > upper-bound-7.out 2>&1
  echo "ub end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> log
fi
echo "heldout done $(date -u +%T)" >> log
