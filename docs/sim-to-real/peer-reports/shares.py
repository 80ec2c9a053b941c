#!/usr/bin/env python3
"""Per logged sweep: within-10 % counts and the offload-share error (|sim - live| of each model offloaded share,
mean over preferences and models; and over the points where the live share was strictly between 0 and 100 %: switch points)
for the re-predictions NAME-exact and NAME-lagged in /tmp/s2r8/rp."""
import json, sys, os
names = sys.argv[1:]
tot = {}
print("| logged sweep | within 10 %: exact / lagged | offload-share error, all points: exact / lagged | at switch points (n): exact / lagged |")
print("|---|---|---|---|")
for n in names:
    row = []
    for rep in ('exact', 'lagged'):
        r = json.load(open(f'/tmp/s2r8/rp/{n}-{rep}/report.json'))
        errs, sw = [], []
        for p in r['points']:
            L, P = p['live']['offloaded_by_model'], p['predicted']['offloaded_by_model']
            for m in L:
                e = abs(P.get(m, 0) - L[m]); errs.append(e)
                if 0 < L[m] < 1:
                    sw.append(e)
        row.append((r['within_tolerance'], len(r['points']), sum(errs) / len(errs), sum(sw) / len(sw) if sw else float('nan'), len(sw)))
        t = tot.setdefault(rep, [0, 0, [], []]); t[0] += row[-1][0]; t[1] += row[-1][1]; t[2] += errs; t[3] += sw
    (a, na, ea, sa, ka), (b, nb, eb, sb, kb) = row
    print(f"| {n} | {a} / {b} of {na} | {ea*100:.1f} / {eb*100:.1f} points | {sa*100:.1f} / {sb*100:.1f} ({ka} / {kb}) |")
e, l = tot['exact'], tot['lagged']
print(f"| all | **{e[0]} / {l[0]} of {e[1]}** | {sum(e[2])/len(e[2])*100:.1f} / {sum(l[2])/len(l[2])*100:.1f} points | {sum(e[3])/len(e[3])*100:.1f} / {sum(l[3])/len(l[3])*100:.1f} ({len(e[3])} / {len(l[3])}) |")
