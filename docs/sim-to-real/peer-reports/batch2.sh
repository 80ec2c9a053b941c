#!/bin/bash
# offline re-prediction of the logged sweeps on this machine (each with its own log's calibration, as the sweeps printed):
# peer reports exact (before) vs lagged (after), estimator dynamics off
export BIN=/tmp/s2r8/bin1/edgeagent.dll
R=/tmp/s2r8/ana/repredict.sh
LPE="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
LPNS="edge:rtt=1ms,bw=400mbit,speed=3;cloud:rtt=30ms,bw=100mbit,speed=3"
echo "batch2 start $(date -u +%T) load $(cat /proc/loadavg)"
for rep in ${REPS:-exact lagged}; do
  $R /tmp/s2r8/dev1 dev1-$rep $rep off --real-links --preferences 11 --duration 10s --rate 1.5 --seed 101 --passes 2 --link-profile "$LPNS"
  $R /tmp/s2r8/dev2 dev2-$rep $rep off --preferences 11 --duration 8s --rate 1.5 --seed 102 --passes 2
  POL=/tmp/s2r/generic.onnx $R /tmp/s2r/cal cal1-$rep $rep off --preferences 11 --duration 20s --rate 1 --seed 21 --link-profile "$LPE"
  for s in g1 g2 g3 t1 t2 t3; do
    f=/tmp/s2r/generic.onnx; [ ${s:0:1} = t ] && f=/tmp/s2r/tuned.onnx
    POL=$f $R /tmp/s2r/cmp/$s cmp1-$s-$rep $rep off --preferences 11 --duration 11s --rate 1 --seed 31 --link-profile "$LPE"
  done
done
echo "batch2 end $(date -u +%T) load $(cat /proc/loadavg)"
