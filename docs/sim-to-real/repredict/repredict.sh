#!/bin/bash
# re-predict logged sweeps with a given binary; args: BIN OUTTAG [extra eval-live args]
BIN=$1; TAG=$2; shift 2; EXTRA=("$@")
LP="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
run() { # src dir, dur, rate, seed, policy, calibration?
  local src=$1 name=$2 dur=$3 rate=$4 seed=$5 pol=$6 cal=$7
  local d=/tmp/s2r3/rp-$TAG/$name; rm -rf $d; mkdir -p $d; cp -r $src/log $d/
  local calarg=(); [ -n "$cal" ] && calarg=(--calibration $cal)
  nice -n 10 dotnet $BIN eval live --from-log --preferences 11 --duration $dur --rate $rate --seed $seed --link-profile "$LP" --policy-file $pol --report $d "${calarg[@]}" "${EXTRA[@]}" > $d.out 2>&1
  echo "$name $(grep -o 'within 10 % (delay and energy): [0-9]* of [0-9]*' $d.out)"
}
run /tmp/s2r2/cal cal6 20s 6 21 /tmp/s2r2/generic.onnx "" "$@"
run /tmp/s2r/cal cal1 20s 1 21 /tmp/s2r/generic.onnx "" "$@"
for g in g1 g2 g3 g4 t1 t2 t3 t4; do pol=/tmp/s2r2/generic.onnx; [ ${g:0:1} = t ] && pol=/tmp/s2r2/ft/tuned.onnx; [ -f $pol ] || pol=/work/wt/s2r/docs/fine-tune-load/fine-tune/tuned.onnx; run /tmp/s2r2/cmp/$g cmp6-$g 6s 6 31 $pol "" "$@"; done
for g in g1 g2 g3 t1 t2 t3; do pol=/tmp/s2r/generic.onnx; [ ${g:0:1} = t ] && pol=/tmp/s2r/tuned.onnx; run /tmp/s2r/cmp/$g cmp1-$g 11s 1 31 $pol "" "$@"; done
