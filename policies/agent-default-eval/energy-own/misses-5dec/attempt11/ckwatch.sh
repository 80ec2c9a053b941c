#!/bin/bash
# copies each new version of CKPT to /tmp/lead-11/ck/NAME-HHMMSS.ckpt until /tmp/lead-11/ckwatch.stop exists
ck=$1; name=$2; last=""
while [ ! -f /tmp/lead-11/ckwatch.stop ]; do
  if [ -f "$ck" ]; then m=$(stat -c %Y "$ck"); if [ "$m" != "$last" ]; then sleep 5; cp "$ck" /tmp/lead-11/ck/$name-$(date -u +%H%M%S).ckpt; last=$m; fi; fi
  sleep 15
done
