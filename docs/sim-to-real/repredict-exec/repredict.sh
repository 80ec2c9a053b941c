#!/bin/bash
# s2r: re-predict logged sweeps with --exec-times run and sweep (binary /tmp/s2r4/bin1 = daf7223 + per-run execution times).
# Starts nothing after 07:50 UTC (the 07:55 window); renices itself to 19 at rew's 07:25 soft window.
BIN=/tmp/s2r4/bin1/edgeagent.dll
LP6="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
LPNS="edge:rtt=10ms,bw=40mbit,speed=2.4;cloud:rtt=60ms,bw=16mbit,speed=3"
OUT=/tmp/s2r4/rp; echo $$ > $OUT/pid
run() { # tag src name dur rate seed policy linkprofile [extra]
  local tag=$1 src=$2 name=$3 dur=$4 rate=$5 seed=$6 pol=$7 lp=$8; shift 8
  [ "$(date -u +%H%M%S)" -lt 075000 ] || { echo "$tag $name skipped (07:50)"; return; }
  local n=19; [ "$(date -u +%H%M%S)" -lt 072400 ] && n=10
  local d=$OUT/$tag/$name; rm -rf $d; mkdir -p $d; cp -r $src/log $d/
  local t0=$(date -u +%T)
  nice -n $n dotnet $BIN eval live --from-log --preferences 11 --duration $dur --rate $rate --seed $seed --link-profile "$lp" --policy-file $pol --report $d --exec-times $tag "$@" > $d.out 2>&1
  echo "$tag $name $(grep -o 'within 10 % (delay and energy): [0-9]* of [0-9]*' $d.out) ($t0-$(date -u +%T), nice $n, load $(cut -d' ' -f1-3 /proc/loadavg))"
}
W=/tmp/s2r3/w; P=/tmp/s2r3/w/agent-default.onnx
for tag in run sweep; do
  run $tag $W/demo demo 15s 1.5 51 $P default
  run $tag $W/ns ns 15s 1.5 52 $P "$LPNS"
  run $tag $W/load6 load6 20s 6 53 /tmp/s2r2/generic.onnx "$LP6"
done
for tag in run sweep; do
  run $tag /tmp/s2r2/cal cal6 20s 6 21 /tmp/s2r2/generic.onnx "$LP6"
  run $tag /tmp/s2r/cal cal1 20s 1 21 /tmp/s2r/generic.onnx "$LP6"
done
for tag in run sweep; do
  for g in g1 g2 g3 g4 t1 t2 t3 t4; do pol=/tmp/s2r2/generic.onnx; [ ${g:0:1} = t ] && pol=/tmp/s2r2/ft/tuned.onnx; run $tag /tmp/s2r2/cmp/$g cmp6-$g 6s 6 31 $pol "$LP6"; done
  for g in g1 g2 g3 t1 t2 t3; do pol=/tmp/s2r/generic.onnx; [ ${g:0:1} = t ] && pol=/tmp/s2r/tuned.onnx; run $tag /tmp/s2r/cmp/$g cmp1-$g 11s 1 31 $pol "$LP6"; done
done
echo "done $(date -u +%T)"
