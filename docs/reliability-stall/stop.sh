#!/bin/bash
# usage: stop.sh BIN NAME : eval live (in-process agent and peers) stopped with SIGSTOP for 4 s (> Agent:StaleAfter 3 s) every 10 s
start=$(date -u +%T)
dotnet $1/edgeagent.dll eval live --preference-values 0.5,0.9 --duration 10s --rate 3 --episodes 1 --report /tmp/lead-stall/$2 > $2.out 2>&1 &
pid=$!; stops=0
sleep 6
while kill -0 $pid 2>/dev/null; do kill -STOP $pid; sleep 4; kill -CONT $pid; stops=$((stops+1)); sleep 6; done
wait $pid; rc=$?
echo "$2 $start-$(date -u +%T) rc $rc stops $stops $(cat /proc/loadavg)" >> runs.log
