#!/bin/bash
# tenth attempt, stage 1: 60 minutes of DAgger cloning from scratch, 44-column layout: the ninth attempt's recipe with
# more teacher labels at the delay end (--focus 0.2 --focus-min 0.85; low-focus/endpoints 0.15 each) and --greedy-below 0.03
cd /tmp/rew-10/w
echo "start $(date -u +%T) $(cat /proc/loadavg)" > times.log
dotnet /tmp/rew-10/bin/edgeagent.dll train $(cat /tmp/rew-10/args) --out s1.onnx --minutes 60 --progress-seconds 60 --checkpoint-minutes 3 > s1.log 2>&1
echo "end $(date -u +%T) rc $? $(cat /proc/loadavg)" >> times.log
