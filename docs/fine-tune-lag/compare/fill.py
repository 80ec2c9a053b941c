#!/usr/bin/env python3
"""After s2r's 20:17 window: put the fine-tune's and the window's figures into the docs (decision log section,
README row, measurement history). Usage: fill.py WINDOW_OUT FT_DIR REPO"""
import re, sys, os, glob
out, ft, repo = sys.argv[1:4]
def read(p):
    try: return open(p).read()
    except OSError: return ''
ftt = read(f'{ft}/times.txt'); tl = read(f'{ft}/train.log')
fstart = re.search(r'^start (\S+) load (\S+) (\S+) (\S+)', ftt, re.M)
fend = re.search(r'^train rc (\d+) end (\S+) load (\S+)', ftt, re.M)
sha = re.search(r'^([0-9a-f]{64})\s+tuned.onnx', ftt, re.M)
prog = re.findall(r't=([0-9.]+)min steps=(\d+) .*?updates=(\d+)', tl)
probe = re.search(r'^final probe \(.*\): (w=.*)$', tl, re.M)
def ratios(p):
    t = read(p); return {m.group(1): m.group(2) for m in re.finditer(r"^\s+(\S+) / generic: ([0-9.]+)", t, re.M)}
c71, c72 = ratios(f'{ft}/check-s71.out'), ratios(f'{ft}/check-s72.out')
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
pr = [float(dict(c)[f't{i}']) / float(dict(g)[f'g{i}']) for i in range(1, pairs + 1) if f't{i}' in dict(c) and f'g{i}' in dict(g)]
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
upd = prog[-1] if prog else ('?', '?', '?')
text = []
text.append(f"""4. Fine-tune, s2r's soft window (`docs/fine-tune-lag/fine-tune/ft.sh`, binary of 463e753, nice 0):
   ```
   edgeagent train --profile agent --calibration calibration.json --resume policies/agent-default.onnx --out tuned.onnx \\
       --minutes 9.5 --seed 4 --teacher rollout --dagger 0.5 --bc-updates 1000000 --teacher-weight 2 --focus 0 --low-focus 0.3 \\
       --endpoints 0.3 --cost-features --greedy-below 0.02 --probe-minutes 3 --progress-seconds 60 --checkpoint-minutes 4 --reward-units item
   ```
   (peer reports lagged by default; the layout from the resumed file.) {fstart.group(1) if fstart else '?'}-{fend.group(2) if fend else '?'} UTC
   (load average {fstart.group(2) if fstart else '?'} -> {fend.group(3) if fend else '?'}), exit {fend.group(1) if fend else '?'};
   {upd[1]} environment steps and {upd[2]} cloning updates at its last progress line ({upd[0]} min). Final probe
   (policy / clairvoyant greedy, after '/' policy / greedy-expected, scalarised cost on the calibrated context): {probe.group(1) if probe else 'n/a'}.
   tuned.onnx sha256 {sha.group(1)[:8] if sha else '?'}.... Offline check (`eval live-predict --calibration calibration.json
   --policy-file generic.onnx tuned.onnx <11:55 fine-tune> --baselines greedy-expected,rollout --episodes 20 --seed 71|72`,
   peer reports lagged): fine-tune / generic **{c71.get('tuned', '?')} / {c72.get('tuned', '?')}** (the 11:55 fine-tune
   {c71.get("tuned'", '?')} / {c72.get("tuned'", '?')}, greedy-expected {c71.get('greedy-expected', '?')} / {c72.get('greedy-expected', '?')},
   rollout {c71.get('rollout', '?')} / {c72.get('rollout', '?')}), in the plain calibrated context, which overstated the live
   gain 1.48 -> 1.03 at 11:55.""")
sw = ', '.join(f"{n} {a}-{e} ({l0} -> {l1}{'' if rc == '0' else f', exit {rc}'})" for n, a, l0, rc, e, l1 in sweeps)
text.append(f"""5. Live comparison, s2r's strict window (`docs/fine-tune-lag/compare/window.sh`, binary of 463e753, the whole machine
   quiet), by the rule of step 3. Window {wstart.group(1) if wstart else '?'}-{wend.group(1) if wend else '?'} UTC (load average
   {wstart.group(2) if wstart else '?'} at the start, {wend.group(2) if wend else '?'} at the end); sweeps (start-end, load): {sw}.
   {pairs} pairs. Hypervolume under the stated reference (1.0 s, 0.25 J per request; {beyond.group(1) if beyond else '?'} point(s)
   outside it): generic {', '.join(v for _, v in g)}; fine-tuned {', '.join(v for _, v in c)}; pairs {', '.join(f'{x:.3f}' for x in pr)}.
   **Fine-tuned / generic {R}, paired bootstrap 95 % interval {iv} (above 1 in {share} % of resamples): {verdict}
   ({'target met' if met else 'target not met'}).** Secondary (not the rule's figure): under the default reference
   ({dreft.group(1) if dreft else '?'} s, {dreft.group(2) if dreft else '?'} J, 1.1 x the worst of all sweeps) {dratio.group(1) if dratio else '?'}
   ({dratio.group(2) if dratio and dratio.group(2) else '?'}-{dratio.group(3) if dratio and dratio.group(3) else '?'}); the simulator's ratio for the same
   sweeps (each report's plain-context prediction) {pred.group(1) if pred else 'n/a'}. Records: `docs/fine-tune-lag/compare/`
   (each sweep's report.json and report.md, compare.md/.png/.out, times.txt), `docs/fine-tune-lag/fine-tune/`
   (train.log, times.txt, the offline checks, tuned.onnx).""")
doc = f'{repo}/docs/decision-log-and-sim-to-real.md'
s = open(doc).read()
s = s.replace('<!-- s2r-evening-results -->', '\n\n'.join(text) + '\n\n<!-- s2r-evening-results-end -->')
open(doc, 'w').write(s)
fig = (f"{R} (95 % {iv}, {pairs} pairs, stated reference 1.0 s / 0.25 J) at 3 items/s with a 9.5-minute fine-tune on lagged peer reports "
       f"(5 December {wstart.group(1)[:5] if wstart else '20:17'} UTC); before: 1.029 (95 % 0.970-1.102, six pairs) at 3 items/s; 0.979 (0.950-1.025) at 6 items/s; 0.954 (0.829-1.038) at 1 item/s")
status = '**met**' if met else '**not met**'
rd = f'{repo}/README.md'; s = open(rd).read()
s2 = re.sub(r'^(\| fine-tuned vs generic live hypervolume at an edge deployment \(`eval live-compare`\) \| )[^|]*(\| beyond noise above 1 \| )[^|]*(\|)',
            lambda m: m.group(1) + fig + ' ' + m.group(2) + status + ' ' + m.group(3), s, flags=re.M)
open(rd, 'w').write(s2)
mh = f'{repo}/docs/measurement-history.md'; s = open(mh).read()
hist = (f"s2r's windows 5 December 18:17-20:37 UTC: the same deployment and quiet calibration as at 11:55 (load6 fit at 3 items/s), fine-tune "
        f"{fstart.group(1) if fstart else '?'}-{fend.group(2) if fend else '?'} UTC on lagged peer reports ({upd[2]} updates), plain-context check "
        f"{c71.get('tuned', '?')} / {c72.get('tuned', '?')}; {pairs} ABBA pairs {wstart.group(1) if wstart else '?'}-{wend.group(1) if wend else '?'} UTC "
        f"(load {wstart.group(2) if wstart else '?'} -> {wend.group(2) if wend else '?'}), reference 1.0 s / 0.25 J stated before: ratio **{R}, 95 % interval {iv}: {verdict.lower()}** "
        f"(default reference {dratio.group(1) if dratio else '?'}). Before: ")
s2 = re.sub(r'^(\| fine-tuned vs generic live hypervolume at an edge deployment \(`eval live-compare`, 11 preferences\) \| )', lambda m: m.group(1) + hist, s, count=1, flags=re.M)
open(mh, 'w').write(s2)
print('filled:', verdict, R, iv, pairs, 'README changed' if s2 != s else '')
