#!/bin/bash
# after training ends: stop the checkpoint copier, gate the final file (sel.sh, name final), its agreement split, then a second
# screening lane newest-first for any checkpoints still waiting; nice 19; sel.sh's guard 08:40:00
cd /tmp/lead-11
until grep -q '^end' w/times.log; do sleep 10; done
end=$(date +%s); sleep 25; touch /tmp/lead-11/ckwatch.stop
echo "post: training ended $(grep '^end' w/times.log); ckwatch.stop $(date -u +%T)" >> sel/log
# a checkpoint copied after the end is the final state (written at the end), gated as 'final'
for ck in ck/*.ckpt; do [ $(stat -c %Y $ck) -ge $((end-5)) ] && { touch ck/$(basename $ck .ckpt).done; echo "post: $ck is the final state, not screened separately" >> sel/log; }; done
RUNS="demo-fast-cloud:9:50 peers-8:21:50 demo-fast-cloud:11:50 demo-near-edge:9:50 demo-near-edge:11:50 demo:9:50 demo:11:50 peers-8:22:50"
nice -n 19 dotnet /tmp/lead-11/bin/edgeagent.dll eval decisions --policy /tmp/lead-11/w/s1.onnx --contexts demo-fast-cloud --weights 0.67 --episodes 10 --seed 21 --driver rollout-observed-both > diag/decisions-final-dfc-21.md 2>&1
echo "final split $(date -u +%T) $(grep -- '- policy:' diag/decisions-final-dfc-21.md)" >> sel/log
nice -n 19 dotnet /tmp/lead-11/bin/edgeagent.dll eval decisions --policy /tmp/lead-11/w/s1.onnx --contexts demo-near-edge --weights 0.97 --episodes 10 --seed 21 --driver rollout-observed-both > diag/decisions-final-dne-21-w097.md 2>&1
echo "final split-dne $(date -u +%T) $(grep -A1 -- '^| policy' diag/decisions-final-dne-21-w097.md | head -1) $(grep -- '- policy:' diag/decisions-final-dne-21-w097.md)" >> sel/log
./sel.sh /tmp/lead-11/w/s1.onnx final $RUNS
python3 /tmp/lead-11/gate8.py final | grep -q ' PASS 8 ' && { echo "final /tmp/lead-11/w/s1.onnx" >> ne/queue; echo "final passes the gate, queued for ne $(date -u +%T)" >> sel/log; }
echo "final $(python3 pass.py final) $(date -u +%T)" >> sel/summary
./screen.sh 07:03:00 rev
echo "post done $(date -u +%T)" >> sel/log
