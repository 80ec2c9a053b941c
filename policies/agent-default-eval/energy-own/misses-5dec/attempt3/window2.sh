#!/bin/bash
# rew's soft window 08:10-08:35 UTC: c54's selection evals, then draws D and E (10 min each, nice 0) with their selection evals
cd /tmp/rew5
now=$(date +%s); t=$(date -d "08:10:01" +%s); [ $t -gt $now ] && sleep $((t-now))
(./sel.sh /tmp/rew5/w/c54.onnx c54 50 10 9 11 &)
TW=8 ./draw.sh d55 55 10000 0
(./sel.sh /tmp/rew5/w/d55.onnx d55 50 10 9 11 &)
read ename eseed ebc etw ectx < E.args
TW=$etw CTX=$ectx ./draw.sh $ename $eseed $ebc 0
./sel.sh /tmp/rew5/w/$ename.onnx $ename 50 0 9 11
echo "window2 done $(date -u +%T)" >> w/times
