#!/bin/bash
# usage: stage.sh NAME args...   -- one training run from the copied binary /tmp/rew9/bin (branch rew: own request rate column), log in /tmp/rew9/w/NAME.log
cd /tmp/rew9/w
E=/tmp/rew9/bin/edgeagent.dll
name=$1; shift
echo "$name start $(date -u +%T) $(cat /proc/loadavg)" >> times
dotnet $E train "$@" > $name.log 2>&1
rc=$?
echo "$name end $(date -u +%T) $(cat /proc/loadavg) rc $rc" >> times
