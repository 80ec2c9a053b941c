#!/bin/bash
# information for the next attempt: the rollout teacher in two forms on demo-near-edge, sparse preferences (0, 0.5, 0.9, 0.95, 0.98, 0.99, 1),
# same episodes as the heuristic (CRN): observed (the stage's teacher) and observed-state (plans on the observation's summary only).
# usage: teach2.sh SEED EPISODES; nice 19; guard 05:45
cd /tmp/rew-10; s=$1; ep=$2; f=/tmp/rew-10/ck/s1-043753.onnx
for v in observed:--rollout-observed observed-state:--rollout-observed-state; do n=${v%%:*}; o=${v#*:}; d=teach/$n-dne-$s-e$ep
  [ -f $d/report.json ] && continue
  [ $(date +%s) -gt $(date -d "05:45:00" +%s) ] && { echo "teach2 stops $(date -u +%T)" >> teach/log; exit; }
  st=$(date -u +%T)
  timeout 600 nice -n 19 dotnet /tmp/rew-10/bin/edgeagent.dll eval --profile agent --policy $f --contexts demo-near-edge --preferences 101 --no-bend --episodes $ep --seed $s \
    --baselines heuristic,greedy-expected --rollout --rollout-episodes $ep $o --rollout-continuation both --report /tmp/rew-10/$d < /dev/null > $d.out 2>&1
  echo "teacher $n dne $s e$ep $st-$(date -u +%T) rc $? $(cat /proc/loadavg)" >> teach/log
done
