#!/bin/bash
# lead's strict window: bench policy (candidate and committed interleaved, 3 runs each), then the live check of the candidate
cd /tmp/lead-11
./bench.sh s1-070356 /tmp/lead-11/ck/s1-070356.onnx now
./live.sh /tmp/lead-11/ck/s1-070356.onnx s1-070356
echo "window done $(date -u +%T)" >> live/times.log
