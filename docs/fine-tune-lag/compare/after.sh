#!/bin/bash
# After the window's sweeps: records into docs/fine-tune-lag/, figures into the docs (fill.py), one commit on branch s2r.
OUT=$1; FT=/tmp/s2r9/ft; REPO=/work/wt/s2r; D=$REPO/docs/fine-tune-lag
mkdir -p $D/compare $D/fine-tune
for d in $OUT/g? $OUT/t?; do n=$(basename $d); cp $d/report.json $D/compare/$n-report.json; cp $d/report.md $D/compare/$n-report.md; done
cp $OUT/compare.md $OUT/compare.png $OUT/compare.out $OUT/compare-default-ref.out $OUT/times.txt /tmp/s2r9/w/window.sh /tmp/s2r9/w/fill.py /tmp/s2r9/w/after.sh $D/compare/ 2>/dev/null
cp $FT/train.log $FT/times.txt $FT/check-s71.out $FT/check-s72.out $FT/tuned.onnx $FT/ft.sh $D/fine-tune/ 2>/dev/null
python3 /tmp/s2r9/w/fill.py $OUT $FT $REPO
cd $REPO && git add docs README.md && git commit -q -m "Evening fine-tune run: the 20:17 window's live ABBA pairs (fine-tuned on lagged peer reports vs generic) and the 19:55 fine-tune, figures by the rule written at 18:38; records in docs/fine-tune-lag/" && git log --oneline -1
