#!/bin/bash
# usage: stage.sh NAME args...   -- one training run from the copied binary /tmp/rew7/bin (branch rew + train --focus-min), log in /tmp/rew7/w/NAME.log
cd /tmp/rew7/w
E=/tmp/rew7/bin/edgeagent.dll
name=$1; shift
echo "$name start $(date -u +%T) $(cat /proc/loadavg)" >> times
dotnet $E train "$@" > $name.log 2>&1
rc=$?
echo "$name end $(date -u +%T) $(cat /proc/loadavg) rc $rc" >> times
