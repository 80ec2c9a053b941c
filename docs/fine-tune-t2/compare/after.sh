#!/bin/bash
# After the window's sweeps: records into docs/fine-tune-t2/compare/, figures into the docs (fill.py), one commit on branch s2r.
OUT=$1; REPO=/work/wt/s2r; D=$REPO/docs/fine-tune-t2/compare
mkdir -p $D
for d in $OUT/g? $OUT/t?; do n=$(basename $d); cp $d/report.json $D/$n-report.json; cp $d/report.md $D/$n-report.md; gzip -c $d/log/decisions.db > $D/$n-decisions.db.gz; done
cp $OUT/compare.md $OUT/compare.png $OUT/compare.out $OUT/compare-default-ref.out $OUT/times.txt /tmp/s2r10/w/window.sh /tmp/s2r10/w/fill.py /tmp/s2r10/w/after.sh $D/ 2>/dev/null
python3 /tmp/s2r10/w/fill.py $OUT $REPO
cd $REPO && git add docs README.md && git commit -q -m "Late-evening window: live ABBA pairs of the 19:55 fine-tune vs generic with the LinkProber fix and eval live --order backward, by the rule written before the window; records (reports, decision logs) in docs/fine-tune-t2/compare/" && git log --oneline -1
