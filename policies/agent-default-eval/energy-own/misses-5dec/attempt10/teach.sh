#!/bin/bash
# information for the next attempt (after the choice; not part of the rule): does the teacher itself (rollout baseline, observed, continuation
# both = the stage's teacher) beat the heuristic at demo-near-edge w_delay 0.9-1 on the same episodes? usage: teach.sh NAME FILE SEED EPISODES; nice 19
cd /tmp/rew-10; n=$1; f=$2; s=$3; ep=$4; d=teach/$n-dne-$s-e$ep${GRID:+-grid}; st=$(date -u +%T)
[ $(date +%s) -gt $(date -d "05:45:00" +%s) ] && { echo "teach stops $(date -u +%T)" >> teach/log; exit; }
timeout 900 nice -n 19 dotnet /tmp/rew-10/bin/edgeagent.dll eval --profile agent --policy $f --contexts demo-near-edge --preferences 101 --no-bend --episodes $ep --seed $s \
  --baselines heuristic,greedy-expected --rollout ${GRID:-} --rollout-episodes $ep --rollout-observed --rollout-continuation both --report /tmp/rew-10/$d < /dev/null > $d.out 2>&1
echo "$n dne $s e$ep $st-$(date -u +%T) rc $? $(cat /proc/loadavg)" >> teach/log
