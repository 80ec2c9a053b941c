#!/usr/bin/env python3
"""After s2r's 23:02 window: the window's figures into the docs (decision-log section, README row, measurement
history). Usage: fill.py WINDOW_OUT REPO"""
import re, sys
out, repo = sys.argv[1:3]
def read(p):
    try: return open(p).read()
    except OSError: return ''
wt = read(f'{out}/times.txt'); cmp = read(f'{out}/compare.out'); dref = read(f'{out}/compare-default-ref.out')
wstart = re.search(r'^window start (\S+) nice \S+ load (\S+)', wt, re.M)
wend = re.search(r'^window end (\S+) load (\S+)', wt, re.M)
sweeps = re.findall(r'^(\w\d) start (\S+) load (\S+).*\n\1 rc (\d+) end (\S+) load (\S+)', wt, re.M)
hv = re.findall(r'^\| (baseline|candidate) \| (\w\d) \| .*? \| (\d+) \| ([0-9.]+) \|', cmp, re.M)
ratio = re.search(r'candidate / baseline \(mean HV\): ([0-9.]+)(?:; bootstrap .*?95 % interval ([0-9.]+)-([0-9.]+), ratio > 1 in ([0-9.]+) %)?', cmp)
dratio = re.search(r'candidate / baseline \(mean HV\): ([0-9.]+)(?:; bootstrap .*?95 % interval ([0-9.]+)-([0-9.]+))?', dref)
dreft = re.search(r'reference point \(([0-9.]+) s, ([0-9.]+) J', dref)
pred = re.search(r"simulator's prediction .*?\(mean HV\) ([0-9.]+)", cmp)
beyond = re.search(r'given; (\d+) point', cmp)
g = [(n, v) for k, n, _, v in hv if k == 'baseline']; c = [(n, v) for k, n, _, v in hv if k == 'candidate']
pairs = min(len(g), len(c))
pr = [float(dict(c)[f't{i}']) / max(float(dict(g)[f'g{i}']), 1e-12) for i in range(1, pairs + 1) if f't{i}' in dict(c) and f'g{i}' in dict(g)]
if ratio and ratio.group(2) and pairs >= 3:
    lo, hi = float(ratio.group(2)), float(ratio.group(3))
    verdict = 'MET' if lo > 1 else ('WORSE' if hi < 1 else 'UNDECIDED')
elif ratio:
    lo = hi = None; verdict = 'NO VERDICT (fewer than three pairs)'
else:
    lo = hi = None; verdict = 'NO FIGURE (the comparison did not run)'
met = verdict == 'MET'
R = ratio.group(1) if ratio else 'n/a'
iv = f'{lo:.4f}-{hi:.4f}' if lo is not None else 'no interval'
share = ratio.group(4) if ratio and ratio.group(4) else 'n/a'
# sweeps the new report table flags: a peer absent or falling back at w_delay <= 0.3
flags = []
for n, *_ in sweeps:
    md = read(f'{out}/{n}/report.md')
    for m in re.finditer(r'^- w_delay (0(?:\.[0-3])?) beyond .*?the live agent saw (.*)$', md, re.M):
        flags.append(f'{n} w_delay {m.group(1)}: {m.group(2)}')
sw = ', '.join(f"{n} {a}-{e} ({l0} -> {l1}{'' if rc == '0' else f', exit {rc}'})" for n, a, l0, rc, e, l1 in sweeps)
text = f"""3. **The window** (s2r's strict window, `docs/fine-tune-t2/compare/window.sh`, binary of s2r fb7464b = the LinkProber fix and
   `--order backward`, the whole machine quiet otherwise). The rule, written before it (NOTES): ABBA pairs of the generic policy
   (c6a5821d) and the 19:55 fine-tune (42c50126, unchanged), each sweep `eval live --preferences 11 --duration 5s --rate 3 --seed 81
   --link-profile "$LP" --order backward --policy-file G|T --calibration docs/fine-tune-3ips/calibration.json --episodes 4
   --observed-estimates log`; figure of record `eval live-compare --reference 1.0,0.25`, paired bootstrap 10,000 resamples: met iff
   the 95 % interval's lower end is above 1, worse iff its upper end is below 1, else undecided; fewer than three pairs: no verdict.
   Predicted before the window: undecided, ratio about 1.02 (0.97-1.06). Window {wstart.group(1) if wstart else '?'}-{wend.group(1) if wend else '?'} UTC
   (load average {wstart.group(2) if wstart else '?'} at the start, {wend.group(2) if wend else '?'} at the end); sweeps (start-end, load): {sw}.
   {pairs} pairs. Hypervolume under the stated reference (1.0 s, 0.25 J per request; {beyond.group(1) if beyond else '0'} point(s) outside it):
   generic {', '.join(v for _, v in g)}; fine-tuned {', '.join(v for _, v in c)}; pairs {', '.join(f'{x:.3f}' for x in pr)}.
   **Fine-tuned / generic {R}, paired bootstrap 95 % interval {iv} (above 1 in {share} % of resamples): {verdict}
   ({'target met' if met else 'target not met'}).** Secondary (not the rule's figure): under the default reference
   ({dreft.group(1) if dreft else '?'} s, {dreft.group(2) if dreft else '?'} J, 1.1 x the worst of all sweeps) {dratio.group(1) if dratio else '?'}
   ({dratio.group(2) if dratio and dratio.group(2) else '?'}-{dratio.group(3) if dratio and dratio.group(3) else '?'}); the simulator's ratio for the same
   sweeps (each report's plain-context prediction) {pred.group(1) if pred else 'n/a'}. Peers the live agent could not use at w_delay 0-0.3
   (the reports' new lines): {'; '.join(flags) if flags else 'none'}. Records: `docs/fine-tune-t2/compare/` (each sweep's report.json,
   report.md and decision log, compare.md/.png/.out, times.txt)."""
doc = f'{repo}/docs/decision-log-and-sim-to-real.md'
s = open(doc).read()
s = s.replace('<!-- s2r-late-window -->', text + '\n\n<!-- s2r-late-window-end -->')
open(doc, 'w').write(s)
fig = (f"{R} (95 % {iv}, {pairs} pairs, stated reference 1.0 s / 0.25 J; LinkProber fix, sweeps from w_delay 1 down; 5 December "
       f"{wstart.group(1)[:5] if wstart else '23:02'} UTC); before: 0.9165 (0.7203-1.0453, six pairs, one sweep locked on the board by a stuck link estimate) "
       f"and 1.029 (0.970-1.102) at 3 items/s; 0.979 (0.950-1.025) at 6 items/s; 0.954 (0.829-1.038) at 1 item/s")
status = '**met**' if met else '**not met**'
rd = f'{repo}/README.md'; s = open(rd).read()
s2 = re.sub(r'^(\| fine-tuned vs generic live hypervolume at an edge deployment \(`eval live-compare`\) \| )[^|]*(\| beyond noise above 1 \| )[^|]*(\|)',
            lambda m: m.group(1) + fig + ' ' + m.group(2) + status + ' ' + m.group(3), s, flags=re.M)
open(rd, 'w').write(s2)
mh = f'{repo}/docs/measurement-history.md'; s = open(mh).read()
hist = (f"s2r's window 5 December {wstart.group(1) if wstart else '?'}-{wend.group(1) if wend else '?'} UTC (load {wstart.group(2) if wstart else '?'} -> {wend.group(2) if wend else '?'}): "
        f"the 19:55 fine-tune again, binary with the LinkProber fix, sweeps from w_delay 1 down; {pairs} ABBA pairs, reference 1.0 s / 0.25 J stated before: "
        f"ratio **{R}, 95 % interval {iv}: {verdict.lower()}** (default reference {dratio.group(1) if dratio else '?'}; simulator's plain-context ratio under the "
        f"stated reference 1.055, rollout teacher 1.082: the bound). Before: ")
s3 = re.sub(r'^(\| fine-tuned vs generic live hypervolume at an edge deployment \(`eval live-compare`, 11 preferences\) \| )', lambda m: m.group(1) + hist, s, count=1, flags=re.M)
open(mh, 'w').write(s3)
print('filled:', verdict, R, iv, pairs, 'README changed' if s2 != open(rd).read() or True else '')
