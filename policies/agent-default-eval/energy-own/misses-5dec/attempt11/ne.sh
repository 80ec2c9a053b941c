#!/bin/bash
# tenth attempt, rule part (2): for every file that passed the 8-run gate (queued in ne/queue by screen.sh/post.sh), demo-near-edge
# validation seeds 21 and 22 at 50 episodes (--compare the committed file, as the gate runs), then pool.py over 9, 11 (the gate's runs) and 21, 22:
# the pooled shortfall against the heuristic per w_delay in 0.90-1.00 and the worst pooled z (ne/pool-NAME.txt; the committed file's too).
# nice 19; ends after post.sh is done and the queue is empty, or at 08:40:00
cd /tmp/lead-11; E=/tmp/lead-11/bin/edgeagent.dll; touch ne/queue
while true; do
  fin=0; grep -q '^post done' sel/log 2>/dev/null && fin=1
  while read n f; do
    [ -f ne/pool-$n.txt ] && continue
    for s in 21 22; do d=ne/$n-demo-near-edge-$s-e50; [ -f $d/report.json ] && continue
      [ $(date +%s) -gt $(date -d "08:40:00" +%s) ] && { echo "ne stops $(date -u +%T)" >> ne/log; exit; }
      st=$(date -u +%T)
      nice -n 19 dotnet $E eval --profile agent --policy $f --compare /work/wt/lead/policies/agent-default.onnx --contexts demo-near-edge --preferences 101 --no-bend \
        --episodes 50 --seed $s --baselines heuristic,greedy-expected --report /tmp/lead-11/$d < /dev/null > $d.out 2>&1
      echo "$n demo-near-edge $s $st-$(date -u +%T) rc $? $(cat /proc/loadavg)" >> ne/log
    done
    R="sel/$n-demo-near-edge-9-e50 sel/$n-demo-near-edge-11-e50 ne/$n-demo-near-edge-21-e50 ne/$n-demo-near-edge-22-e50"
    { python3 pool.py $R; echo; python3 pool.py --method agent-default $R; } > ne/pool-$n.txt.tmp && mv ne/pool-$n.txt.tmp ne/pool-$n.txt
    echo "$n pooled $(date -u +%T): $(grep '^policy' ne/pool-$n.txt)" >> ne/log
  done < ne/queue
  [ $fin = 1 ] && [ $(while read n f; do [ -f ne/pool-$n.txt ] || echo x; done < ne/queue | wc -l) = 0 ] && break
  [ $(date +%s) -gt $(date -d "08:40:00" +%s) ] && break
  sleep 20
done
echo "ne lane done $(date -u +%T)" >> ne/log
