#!/bin/bash
# usage: stage.sh NAME NICE args...   -- one training run from the copied binary /tmp/rew6/bin, log in /tmp/rew6/w/NAME.log
cd /tmp/rew6/w
E=/tmp/rew6/bin/edgeagent.dll
name=$1; nc=$2; shift 2
echo "$name start $(date -u +%T) $(cat /proc/loadavg) nice $nc" >> times
nice -n $nc dotnet $E train "$@" > $name.log 2>&1
rc=$?
echo "$name end $(date -u +%T) $(cat /proc/loadavg) rc $rc" >> times
