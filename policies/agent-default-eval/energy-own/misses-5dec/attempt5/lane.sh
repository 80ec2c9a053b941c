#!/bin/bash
# usage: lane.sh L   -- draws L1..L5 (args in /tmp/rew7/L<i>.args: NAME then train args; read at the draw's start, so editable until then),
# each followed by its selection; no draw starts after 13:52 (a 10-minute draw + selection ends before 14:05)
cd /tmp/rew7
L=$1
for i in 1 2 3 4 5; do
  f=/tmp/rew7/$L$i.args
  [ -f $f ] || continue
  [ $(date +%s) -gt $(date -d "13:56:00" +%s) ] && { echo "lane $L stops starting draws $(date -u +%T)" >> w/times; break; }
  read -r name rest < $f
  ./stage.sh $name $rest
  ./sel.sh /tmp/rew7/w/$name.onnx $name 50
done
echo "lane $L done $(date -u +%T)" >> w/times
