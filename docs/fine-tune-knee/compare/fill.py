#!/usr/bin/env python3
"""After s2r's 02:48 window (6 December 2026): the window's figures into the docs (the fine-tuning section's placeholder,
a measurement-history row). Usage: fill.py WINDOW_OUT REPO"""
import re, sys
out, repo = sys.argv[1:3]
def read(p):
    try: return open(p).read()
    except OSError: return ''
wt = read(f'{out}/times.txt'); cmp = read(f'{out}/compare.out'); r1 = read(f'{out}/compare-ref1.out')
wstart = re.search(r'^window start (\S+) nice \S+ load (\S+)', wt, re.M)
wend = re.search(r'^window end (\S+) load (\S+)', wt, re.M)
sweeps = re.findall(r'^(\w\d+) start (\S+) load (\S+).*\n\1 rc (\d+) end (\S+) load (\S+)', wt, re.M)
hv = re.findall(r'^\| (baseline|candidate) \| (\w\d+) \| .*? \| (\d+) \| ([0-9.]+) \|', cmp, re.M)
ratio = re.search(r'candidate / baseline \(mean HV\): ([0-9.]+)(?:; bootstrap .*?95 % interval ([0-9.]+)-([0-9.]+), ratio > 1 in ([0-9.]+) %)?', cmp)
r1ratio = re.search(r'candidate / baseline \(mean HV\): ([0-9.]+)(?:; bootstrap .*?95 % interval ([0-9.]+)-([0-9.]+))?', r1)
pred = re.search(r"simulator's prediction .*?\(mean HV\) ([0-9.]+)", cmp)
pred1 = re.search(r"simulator's prediction .*?\(mean HV\) ([0-9.]+)", r1)
beyond = re.search(r'given; (\d+) point', cmp)
g = dict((n, v) for k, n, _, v in hv if k == 'baseline'); c = dict((n, v) for k, n, _, v in hv if k == 'candidate')
pairs = min(len(g), len(c))
pr = [float(c[f't{i}']) / max(float(g[f'g{i}']), 1e-12) for i in range(1, pairs + 1) if f't{i}' in c and f'g{i}' in g]
if ratio and ratio.group(2) and pairs >= 3:
    lo, hi = float(ratio.group(2)), float(ratio.group(3))
    verdict = 'MET' if lo > 1 else ('NOT MET (worse)' if hi < 1 else 'UNDECIDED')
elif ratio:
    lo = hi = None; verdict = 'NO VERDICT (fewer than three pairs)'
else:
    lo = hi = None; verdict = 'NO FIGURE (the comparison did not run)'
met = verdict == 'MET'
R = ratio.group(1) if ratio else 'n/a'
iv = f'{lo:.4f}-{hi:.4f}' if lo is not None else 'no interval'
share = ratio.group(4) if ratio and ratio.group(4) else 'n/a'
flags = []
for n, *_ in sweeps:
    md = read(f'{out}/{n}/report.md')
    for m in re.finditer(r'^- w_delay (0(?:\.[0-3])?) beyond .*?the live agent saw (.*)$', md, re.M):
        flags.append(f'{n} w_delay {m.group(1)}: {m.group(2)}')
sw = ', '.join(f"{n} {a}-{e} ({l0} -> {l1}{'' if rc == '0' else f', exit {rc}'})" for n, a, l0, rc, e, l1 in sweeps)
order = sorted(g, key=lambda s: int(s[1:])); corder = sorted(c, key=lambda s: int(s[1:]))
text = f"""4. **The window** (s2r's strict window, `docs/fine-tune-knee/compare/window.sh`, binary of s2r ab8498a = main, with --preference-values (0517995), the whole machine quiet
   otherwise), by the rule of step 3. Window {wstart.group(1) if wstart else '?'}-{wend.group(1) if wend else '?'} UTC (load average
   {wstart.group(2) if wstart else '?'} at the start, {wend.group(2) if wend else '?'} at the end); sweeps (start-end, load): {sw}.
   {pairs} pairs. Hypervolume under the stated reference (0.35 s, 0.25 J per request; {beyond.group(1) if beyond else '0'} point(s) outside it):
   generic {', '.join(g[k] for k in order)}; fine-tuned {', '.join(c[k] for k in corder)}; pairs {', '.join(f'{x:.3f}' for x in pr)}.
   **Fine-tuned / generic {R}, paired bootstrap 95 % interval {iv} (above 1 in {share} % of resamples): {verdict}
   ({'target met' if met else 'target not met'}).** Secondary (not the rule's figure): under (1.0 s, 0.25 J) {r1ratio.group(1) if r1ratio else '?'}
   ({r1ratio.group(2) if r1ratio and r1ratio.group(2) else '?'}-{r1ratio.group(3) if r1ratio and r1ratio.group(3) else '?'}); the simulator's ratio for the same
   sweeps (each report's plain-context prediction, `--observed-estimates log`) {pred.group(1) if pred else 'n/a'} under the stated reference,
   {pred1.group(1) if pred1 else 'n/a'} under (1.0 s, 0.25 J). Peers the live agent could not use at w_delay 0.1-0.3 (the reports' lines):
   {'; '.join(flags) if flags else 'none'}. Records: `docs/fine-tune-knee/compare/` (each sweep's report.json, report.md and decision
   log, compare.md/.png/.out, compare-ref1.out, times.txt)."""
doc = f'{repo}/docs/decision-log-and-sim-to-real.md'
s = open(doc).read()
s = s.replace('<!-- s2r-knee-window -->', text + '\n\n<!-- s2r-knee-window-end -->')
open(doc, 'w').write(s)
row = (f"| fine-tuned vs generic live hypervolume at an edge deployment, knee weights (`eval live-compare`, `--preference-values 0.1,0.2,0.3,1`) | "
       f"s2r's window 6 December {wstart.group(1) if wstart else '?'}-{wend.group(1) if wend else '?'} UTC (load {wstart.group(2) if wstart else '?'} -> {wend.group(2) if wend else '?'}): "
       f"the 19:55 fine-tune (42c50126) vs generic, load6 peers at 3 items/s, {pairs} ABBA pairs, reference 0.35 s / 0.25 J stated before "
       f"(1.04 x a cloud request's delay): ratio **{R}, 95 % interval {iv}: {verdict.lower()}** (under 1.0 s / 0.25 J {r1ratio.group(1) if r1ratio else '?'}; "
       f"predicted before: plain context 1.205, estimate mixture 1.103, expected live about 1.03) | 95 % interval above 1 | "
       f"[Fine-tuning](decision-log-and-sim-to-real.md#fine-tuning-for-a-calibrated-deployment) |")
mh = f'{repo}/docs/measurement-history.md'; s = open(mh).read()
if not s.endswith('\n'): s += '\n'
open(mh, 'w').write(s + row + '\n')
print('filled:', verdict, R, iv, pairs)
