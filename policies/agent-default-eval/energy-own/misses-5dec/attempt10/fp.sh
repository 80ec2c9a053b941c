#!/bin/bash
# information for the next attempt (its step (1)): can the student fit the teacher at one preference? 12 minutes of the stage's cloning
# recipe at --fixed-preference 0.97 from scratch (nice 19), then the dne 0.97 split on the teacher's states (near-edge share of recognition)
cd /tmp/rew-10/fp
echo "start $(date -u +%T) $(cat /proc/loadavg)" > times.log
nice -n 19 dotnet /tmp/rew-10/bin/edgeagent.dll train $(cat /tmp/rew-10/args) --fixed-preference 0.97 --out /tmp/rew-10/fp/fp097.onnx --minutes 12 --progress-seconds 60 --checkpoint-minutes 3 > fp097.log 2>&1
echo "end $(date -u +%T) rc $? $(cat /proc/loadavg)" >> times.log
nice -n 19 dotnet /tmp/rew-10/bin/edgeagent.dll eval decisions --policy /tmp/rew-10/fp/fp097.onnx --contexts demo-near-edge --weights 0.97 --episodes 10 --seed 21 --driver rollout-observed-both > decisions-fp097-dne-21-w097.md 2>&1
echo "split $(date -u +%T) rc $?" >> times.log
