#!/bin/bash
# copies each new version of CKPT to /tmp/rew6/ckpts/NAME-HHMMSS.ckpt until STOPFILE exists
ck=$1; name=$2; last=""
while [ ! -f /tmp/rew6/ckwatch.stop ]; do
  if [ -f "$ck" ]; then m=$(stat -c %Y "$ck"); if [ "$m" != "$last" ]; then sleep 5; cp "$ck" /tmp/rew6/ckpts/$name-$(date -u +%H%M%S).ckpt; last=$m; fi; fi
  sleep 20
done
