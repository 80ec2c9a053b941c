#!/bin/bash
# s2r's strict window 17:20-17:35 UTC 5 December 2026: prospective eval live sweeps, two passes over the preferences, the
# simulated agent seeing each peer's queue as its last load report showed it (--peer-reports lagged: the figure of record),
# binary /tmp/s2r8/binG = s2r afee20c (sha256 in times.txt), learned policy policies/agent-default.onnx (c6a5821d...):
# demo cluster and namespace/tbf cluster (LPNS) at 1.5 items/s (the target's two sweeps), the same links at 4 items/s if it
# fits; each then predicted again from its own log with --peer-reports exact (the simulator before, CPU only); records go to
# docs/sim-to-real/prospective-1720/ on branch s2r and are committed before 17:35.
# Usage: window.sh OUTDIR START(HHMMSS) PREFS DUR-DEMO DUR-NS DUR-NS4 REP OTHER COMMIT(yes|no) LATEST-NS4(HHMMSS) LATEST-OTHER(HHMMSS) STOP(HHMMSS)
OUT=$1; START=$2; PREFS=${3:-11}; DURD=${4:-8s}; DURN=${5:-10s}; DUR4=${6:-5s}; REP=${7:-lagged}; OTHER=${8:-exact}; COMMIT=${9:-no}
LAST4=${10:-172830}; LASTO=${11:-173210}; STOP=${12:-173430}
BIN=${BIN:-/tmp/s2r8/binG/edgeagent.dll}
POL=/tmp/s2r8/agent-default.onnx
LPNS="edge:rtt=1ms,bw=400mbit,speed=3;cloud:rtt=30ms,bw=100mbit,speed=3"
REPO=/work/wt/s2r; [ "$COMMIT" = yes ] || REPO=$OUT/repo-copy; REC=$REPO/docs/sim-to-real/prospective-1720
mkdir -p $OUT; cd $OUT; T=$OUT/times.txt; : >> $T
echo "waiting for $START (pid $$) $(date -u +%T)" >> $T
# One sleep until 10 s before START (nothing of this script runs in the window before it), then to the second.
wait_s=$(( $(date -u -d "${START:0:2}:${START:2:2}:${START:4:2}" +%s) - $(date -u +%s) - 10 )); [ $wait_s -gt 0 ] && sleep $wait_s
while [ "$(date -u +%H%M%S)" -lt $START ]; do sleep 1; done
[ "$START" = 172005 ] && renice -n 0 -p $$ > /dev/null 2>&1   # waited at nice 19 (dry runs keep their nice)
sha256sum $POL $BIN >> $T
# A guard: whatever still runs at STOP is stopped (the window ends at 17:35).
# (by the PID each run writes to current.pid: only this script's own run)
( while [ "$(date -u +%H%M%S)" -lt $STOP ]; do sleep 1; done; [ -s $OUT/current.pid ] && kill $(cat $OUT/current.pid) 2>/dev/null && echo "guard stopped run $(cat $OUT/current.pid) at $(date -u +%T)" >> $T ) &
GUARD=$!
sweep() { # name, args...
  local name=$1; shift
  echo "$name start $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
  dotnet $BIN eval live "$@" --passes 2 --peer-reports $REP --estimator-dynamics off --policy-file $POL --report $OUT/$name > $OUT/$name.out 2>&1 &
  local pid=$!; echo $pid > $OUT/current.pid; wait $pid; local rc=$?; : > $OUT/current.pid
  echo "$name rc $rc end $(date -u +%H:%M:%S) load $(cat /proc/loadavg) $(grep -o 'within 10 % (delay and energy): [0-9]* of [0-9]*' $OUT/$name.out | head -1)" >> $T
}
other() { # name, args... (the same log predicted with the other peer-report setting; CPU only)
  local name=$1; shift
  [ -d $OUT/$name/log ] || return
  local d=$OUT/$name-$OTHER; rm -rf $d; mkdir -p $d; cp -r $OUT/$name/log $d/
  dotnet $BIN eval live --from-log "$@" --passes 2 --peer-reports $OTHER --estimator-dynamics off --policy-file $POL --report $d > $d.out 2>&1 &
  local pid=$!; echo $pid > $OUT/current.pid; wait $pid; local rc=$?; : > $OUT/current.pid
  echo "$name-$OTHER rc $rc $(grep -o 'within 10 % (delay and energy): [0-9]* of [0-9]*' $d.out | head -1) end $(date -u +%H:%M:%S)" >> $T
}
DEMO=(--preferences $PREFS --duration $DURD --rate 1.5 --seed 111)
NS=(--real-links --preferences $PREFS --duration $DURN --rate 1.5 --seed 112 --link-profile "$LPNS")
NS4=(--real-links --preferences $PREFS --duration $DUR4 --rate 4 --seed 114 --link-profile "$LPNS")
sweep demo "${DEMO[@]}"
sweep ns "${NS[@]}"
if [ "$(date -u +%H%M%S)" -lt $LAST4 ]; then sweep ns4 "${NS4[@]}"; else echo "ns4 skipped at $(date -u +%T): would not end in the window" >> $T; fi
echo "live sweeps done $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
for job in demo ns ns4; do
  [ "$(date -u +%H%M%S)" -lt $LASTO ] || { echo "$OTHER predictions stopped at $(date -u +%T) (window end)" >> $T; break; }
  case $job in demo) other demo "${DEMO[@]}";; ns) other ns "${NS[@]}";; ns4) other ns4 "${NS4[@]}";; esac
done
kill $GUARD 2>/dev/null
{
  echo "# Prospective sweeps of $(date -u +%F) $(head -1 $T | grep -o '[0-9:]*$' ) window (s2r): counts as printed"
  echo
  for f in demo ns ns4 demo-$OTHER ns-$OTHER ns4-$OTHER; do
    [ -f $OUT/$f.out ] || continue
    echo "- $f: $(grep -o 'within 10 % (delay and energy): [0-9]* of [0-9]* preferences' $OUT/$f.out | head -1); speed-conditioned $(grep -o 'not prospective): within 10 % [0-9]* of [0-9]*' $OUT/$f.out | grep -o '[0-9]* of [0-9]*')"
  done
} > $OUT/summary.md
if [ "$COMMIT" != yes ]; then mkdir -p $REPO/docs; cp /work/wt/s2r/README.md $REPO/; cp /work/wt/s2r/docs/decision-log-and-sim-to-real.md /work/wt/s2r/docs/measurement-history.md $REPO/docs/; fi
python3 /tmp/s2r8/w/fill.py $OUT $REPO $REP $OTHER >> $T 2>&1 || echo "fill failed" >> $T
mkdir -p $REC
cp $T $OUT/summary.md /tmp/s2r8/w/window.sh /tmp/s2r8/w/fill.py $REC/
for f in demo ns ns4 demo-$OTHER ns-$OTHER ns4-$OTHER; do
  [ -d $OUT/$f ] || continue
  for x in report.md report.json calibration.json fronts.png; do [ -f $OUT/$f/$x ] && cp $OUT/$f/$x $REC/$f-$x; done
  [ -f $OUT/$f.out ] && grep -v '^\[' $OUT/$f.out | grep -v '^  [0-9]* items' > $REC/$f.out
done
if [ "$COMMIT" = yes ]; then
  cp $T $REC/
  cd $REPO && git add docs/sim-to-real/prospective-1720 docs/decision-log-and-sim-to-real.md docs/measurement-history.md README.md && git commit -q -m "Prospective eval live sweeps of s2r's 17:20 window (two passes, peer reports $REP, estimator dynamics off; demo, namespace/tbf, tbf at 4 items/s): figures in the eval live section, README row and measurement history (written by the window script from the reports); reports, calibrations, times" && echo "committed $(git rev-parse --short HEAD) $(date -u +%T)" >> $T
fi
echo "all done $(date -u +%H:%M:%S) load $(cat /proc/loadavg)" >> $T
