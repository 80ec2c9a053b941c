#!/bin/bash
# repredict.sh SRCDIR NAME REPORTS DYN [extra eval live args...]: predicts SRCDIR/log again into /tmp/s2r8/rp/NAME
SRC=$1; NAME=$2; REP=$3; DYN=$4; shift 4
D=/tmp/s2r8/rp/$NAME; rm -rf $D; mkdir -p $D; cp -r $SRC/log $D/
nice -n ${NICE:-10} dotnet ${BIN:-/work/wt/s2r/src/EdgeAgent.Cli/bin/Release/net10.0/edgeagent.dll} eval live --from-log "$@" --policy-file ${POL:-/tmp/s2r8/agent-default.onnx} --report $D --peer-reports $REP --estimator-dynamics $DYN ${TRACE:+--trace-observations $D/sim-obs.csv} > $D.out 2>&1
echo "$NAME rc $? $(grep -o 'within 10 % (delay and energy): [0-9]* of [0-9]*' $D.out | head -1)"
