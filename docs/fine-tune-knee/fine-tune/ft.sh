#!/bin/bash
# s2r, 6 December 2026 00:0x UTC (machine open, nice 19): fine-tune of the generic policy on cal-g.json (calibrate --from-log of the
# seven generic sweeps of the 23:02 window, load6 peers at 3 items/s, 5488 requests), peer reports lagged.
# Usage: ft.sh NAME MINUTES GREEDY_BELOW [extra train options...]
NAME=$1; MIN=$2; GB=$3; shift 3
cd /tmp/s2r-w/ft; mkdir -p $NAME; cd $NAME
B=/tmp/s2r-w/bin/edgeagent.dll
T=times.txt
echo "start $(date -u +%H:%M:%S) load $(cat /proc/loadavg) minutes $MIN nice $(nice) gb $GB extra $*" >> $T
sha256sum /tmp/s2r-w/generic.onnx /tmp/s2r-w/cal-g.json >> $T
dotnet $B train --profile agent --calibration /tmp/s2r-w/cal-g.json --resume /tmp/s2r-w/generic.onnx --out tuned.onnx --minutes $MIN --seed ${SEED:-4} \
  --teacher rollout --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --focus 0 --low-focus ${LF:-0.3} --endpoints 0.3 \
  --cost-features --greedy-below $GB --probe-minutes 3 --progress-seconds 60 --checkpoint-minutes 4 --reward-units item "$@" > train.log 2>&1
echo "train rc $? end $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
sha256sum tuned.onnx >> $T
