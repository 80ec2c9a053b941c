#!/usr/bin/env python3
"""Live decision log vs simulated observations (eval live --trace-observations) at each preference:
per model and candidate, the mean of each named feature live and simulated, and the offload shares.
Features are read by name from the log's layout metadata (not by position)."""
import sqlite3, struct, json, csv, sys, collections, math
db, trace = sys.argv[1], sys.argv[2]
prefs = [float(x) for x in sys.argv[3].split(',')] if len(sys.argv) > 3 else None
cols_of_interest = sys.argv[4].split(',') if len(sys.argv) > 4 else ['RoundTripLog','UplinkLog','ExecLog','EnergyLog','OwnEnergyLog','DelayEstimateLog','OwnDelayEstimateLog','ResponseBytesLog','RequestBytesLog','UploadBacklogLog','OwnInFlightLog','QueueWaitLog','RunningTasks','QueuedLog']
c = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
layouts = {}
for lid, name, meta in c.execute("select id, name, metadata from layouts"):
    m = json.loads(meta)
    names = m['edgeagent.layout.scalar_features'].split(',') + [f'residual_hist_{b}' for b in range(int(m['edgeagent.layout.histogram_bins']))]
    layouts[lid] = names
    # the layout's column names (snake case, before the unit) and kinds are in the same order: a name map for the trace
    snake = [x.split('[')[0] for x in m['edgeagent.layout.columns'].split(';')]
    SNAKE2KIND = dict(zip(snake, names))
live = collections.defaultdict(list)  # (pref, model) -> list of (decided, {cand: {feat: v}})
for ts, model, lid, cands, feats, w, decided, fc in c.execute("select ts_us, model, layout_id, candidates, features, w_delay, decided, feature_count from decisions where outcome='ok' order by id"):
    names = layouts[lid]; F = fc or len(names)
    cl = json.loads(cands)
    vals = struct.unpack(f'<{len(feats)//4}f', feats)
    rows = {}
    for i, cn in enumerate(cl):
        rows[cn] = dict(zip(names, vals[i*F:(i+1)*F]))
    live[(round(w, 3), model)].append((decided, rows))
sim = collections.defaultdict(list)
with open(trace) as f:
    rd = csv.reader(f); head = next(rd)
    fn = [SNAKE2KIND.get(h, h) for h in head[7:]]
    cur = None; key = None
    for row in rd:
        w, ctx, ep, t, model, placement, cand = row[:7]
        k = (w, ctx, ep, t, model)
        if k != key:
            if cur: sim[(round(float(cur[0][0]),3), cur[0][4])].append((cur[1], cur[2]))
            key = k; cur = (k, placement, {})
        cur[2][cand] = dict(zip(fn, map(float, row[7:])))
    if cur: sim[(round(float(cur[0][0]),3), cur[0][4])].append((cur[1], cur[2]))
def mean(xs): return sum(xs)/len(xs) if xs else float('nan')
def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs)-1, int(p*len(xs)))] if xs else float('nan')
for (w, model) in sorted(set(live) | set(sim)):
    if prefs and w not in prefs: continue
    L, S = live.get((w, model), []), sim.get((w, model), [])
    off = lambda D: mean([1.0 if d.startswith('peer:') else 0.0 for d, _ in D])
    print(f"\n== w_delay {w} {model}: live n={len(L)} offloaded {off(L):.2f}; sim n={len(S)} offloaded {off(S):.2f}")
    cands = sorted({cn for _, r in L for cn in r} | {cn for _, r in S for cn in r})
    for cn in cands:
        print(f"  {cn}:")
        for f in cols_of_interest:
            lv = [r[cn][f] for _, r in L if cn in r and f in r[cn]]
            sv = [r[cn][f] for _, r in S if cn in r and f in r[cn]]
            if not lv and not sv: continue
            print(f"    {f:22s} live {mean(lv):8.3f} (p10 {q(lv,.1):7.3f} p90 {q(lv,.9):7.3f})   sim {mean(sv):8.3f} (p10 {q(sv,.1):7.3f} p90 {q(sv,.9):7.3f})")
