#!/bin/bash
# rest of window 2: after d55 ends, d55's selection (nice 10) beside draw e56 (teacher weight 8, nice 0), then e56's selection (nice 0)
cd /tmp/rew5
while pgrep -f "draw.sh d55" > /dev/null; do sleep 1; done
(./sel.sh /tmp/rew5/w/d55.onnx d55 50 10 9 11 &)
TW=8 ./draw.sh e56 56 10000 0
./sel.sh /tmp/rew5/w/e56.onnx e56 50 0 9 11
echo "window2 done $(date -u +%T)" >> w/times
