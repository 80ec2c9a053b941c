#!/bin/bash
# usage: draw.sh NAME SEED BC NICE [extra train args...]  -- one 10-minute stage-2 draw from stage1.onnx
cd /tmp/rew5/w
E=/work/wt/rew/src/EdgeAgent.Cli/bin/Release/net10.0/edgeagent.dll
name=$1; seed=$2; bc=$3; nc=$4; shift 4
[ "$name" = c54 ] && CTX=train-demo-half
echo "$name start $(date -u +%T) $(cat /proc/loadavg) nice $nc" >> times
nice -n $nc dotnet $E train --profile agent --own-traffic --contexts ${CTX:-train-demo} --resume ../stage1.onnx --out $name.onnx --minutes ${MIN:-10} --seed $seed \
  --teacher rollout --dagger 0.5 --bc-updates $bc --teacher-weight ${TW:-2} --focus 0 --low-focus 0.3 --endpoints 0.3 \
  --cost-features --greedy-below 0.02 --probe-minutes 0 --progress-seconds 60 --checkpoint-minutes 2 "$@" > $name.log 2>&1
echo "$name end $(date -u +%T) $(cat /proc/loadavg) rc $?" >> times
