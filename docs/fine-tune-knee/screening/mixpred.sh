#!/bin/bash
# mixpred.sh POLICYFILE TAG LOG... : eval live --from-log (estimate mixture of each logged run) for POLICYFILE on each quiet log of the 23:02 window
P=$1; TAG=$2; shift 2
LP="edge:rtt=0.2ms,bw=1000mbit,speed=0.25;cloud:rtt=300ms,bw=1000mbit,speed=3"
CAL=${CAL:-/tmp/s2r-w/cal-g.json}
for s in "$@"; do
  D=/tmp/s2r-w/mix/$TAG-$s; mkdir -p $D/log; cp /tmp/s2r-w/logs/$s/log/decisions.db $D/log/
  dotnet /tmp/s2r-w/bin/edgeagent.dll eval live --from-log --preferences 11 --duration 5s --rate 3 --seed 81 --link-profile "$LP" --order backward \
    --policy-file $P --calibration $CAL --episodes 4 --report $D > $D.out 2>&1 || echo "$TAG $s failed"
  rm -f $D/log/decisions.db
done
