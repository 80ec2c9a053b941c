#!/bin/bash
# usage: hold.sh NAME FILE -- the held-out parts for a (provisionally) chosen file: demo-near-edge 8 at 50 episodes (ext.sh), the
# multi-policy upper bound (ub.sh), then the 33 held-out runs (heldout.sh); nice 19; results do not enter the choice
cd /tmp/lead-11; n=$1; f=$2
./ext.sh $n $f demo-near-edge:8:50
./ub.sh $n $f
./heldout.sh $f $n
