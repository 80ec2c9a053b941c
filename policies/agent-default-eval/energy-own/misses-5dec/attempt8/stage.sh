#!/bin/bash
# usage: stage.sh NAME args...   -- one training run from the copied binary /tmp/rew10/bin (main 24096dd), log in /tmp/rew10/w/NAME.log
cd /tmp/rew10/w
E=/tmp/rew10/bin/edgeagent.dll
name=$1; shift
echo "$name start $(date -u +%T) $(cat /proc/loadavg)" >> times
dotnet $E train "$@" > $name.log 2>&1
rc=$?
echo "$name end $(date -u +%T) $(cat /proc/loadavg) rc $rc" >> times
