#!/bin/bash
# After the window's sweeps (run by window.sh): records into docs/fine-tune-knee/compare/, figures into the docs (fill.py), one commit on branch s2r.
OUT=$1; REPO=${REPO:-/work/wt/s2r}; D=$REPO/docs/fine-tune-knee/compare
mkdir -p $D
for d in $(ls -d $OUT/g? $OUT/g?? $OUT/t? $OUT/t?? 2>/dev/null); do n=$(basename $d); cp $d/report.json $D/$n-report.json; cp $d/report.md $D/$n-report.md; gzip -c $d/log/decisions.db > $D/$n-decisions.db.gz; done
cp $OUT/compare.md $OUT/compare.png $OUT/compare.out $OUT/compare-ref1.out $OUT/times.txt /tmp/s2r-w/window.sh /tmp/s2r-w/fill.py /tmp/s2r-w/after.sh $D/ 2>/dev/null
python3 /tmp/s2r-w/fill.py $OUT $REPO
[ -n "$NOCOMMIT" ] && exit 0
cd $REPO && git add docs && git commit -q -m "Knee window 6 December: 19:55 fine-tune vs generic, live ABBA" -m "Live ABBA pairs at w_delay 0.1/0.2/0.3/1 (eval live --preference-values) by the rule and reference (0.35 s, 0.25 J) written before the window; records (reports, decision logs, compare) in docs/fine-tune-knee/compare/." && git log --oneline -1
