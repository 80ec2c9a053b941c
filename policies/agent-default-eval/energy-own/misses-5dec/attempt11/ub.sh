#!/bin/bash
# usage: ub.sh NAME FILE -- rule part (4): the multi-policy upper bound, the command of record (policies/README.md: train, seed 7, 20 episodes,
# 101 preferences, --no-bend, --upper-bound policies/agent-upper-bound; "strengthened" = the report's union ratio); nice 19
cd /tmp/lead-11; n=$1; f=$2; d=ub/$n-7; st=$(date -u +%T)
nice -n 19 dotnet /tmp/lead-11/bin/edgeagent.dll eval --profile agent --policy $f --contexts train --preferences 101 --no-bend --episodes 20 --seed 7 \
  --upper-bound /work/wt/lead/policies/agent-upper-bound --report /tmp/lead-11/$d < /dev/null > $d.out 2>&1
echo "$n ub $st-$(date -u +%T) rc $? $(cat /proc/loadavg) $(python3 -c "import json;d=json.load(open('/tmp/lead-11/$d/report.json'));print('bound',round(d['UpperBoundRatio'],4),'strengthened',round(d['UpperBoundUnionRatio'],4))")" >> ub/log
