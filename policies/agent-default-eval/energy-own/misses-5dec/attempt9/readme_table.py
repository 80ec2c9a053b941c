import json,os,sys,re
sys.path.insert(0,'/tmp/rew-9'); from band import ranges
names=[('s1-014813',30),('s1-015118',33),('s1-015423',36),('s1-015713',39),('s1-020018',42),('s1-020323',45),('s1-020614',48),('s1-020919',51),('s1-021224',54),('s1-021514',57),('final',60)]
split={}
for n,m in names:
    f=f'/tmp/rew-9/diag/decisions-{n}-dfc-21.md'
    t=[l for l in open(f) if l.startswith('- policy:')][0]; a=re.search(r'model 2 ([0-9.]+) \| ([0-9.]+)',t); split[n]=f"{a.group(1)} \\| {a.group(2)}"
def cell(n,g):
    f=f'/tmp/rew-9/sel/{n}-{g}-e50/report.json'
    if not os.path.exists(f): return None
    d=json.load(open(f)); S={s['Name']:s for s in d['Summaries']}; p=S['policy']['Hypervolume']
    v=S['policy']['VersusHeuristicRewardUnits']['PerPreference']; w=[x[0] for x in v if x[2]>0 and x[1]>2*x[2]]
    a=[x for x in v if abs(x[0]-0.67)<1e-9][0]
    return S['agent-default']['Hypervolume']/p, S['greedy-expected']['Hypervolume']/p, 100*a[1], ranges(w)
print('| checkpoint (minutes) | demo-fast-cloud 9 | demo-fast-cloud 11 | demo-near-edge 9 / 11 | demo 9 / 11 | peers-8 21 / 22 | recognition agreement without \\| with own stages pending |')
print('|---|---|---|---|---|---|---|')
for n,m in names:
    out=[]
    for g in ['demo-fast-cloud-9','demo-fast-cloud-11']:
        c=cell(n,g); out.append('-' if c is None else f"{c[0]:.4f} / {c[1]:.4f}: {c[2]:+.2f} %, {c[3]}")
    for a,b in [('demo-near-edge-9','demo-near-edge-11'),('demo-9','demo-11'),('peers-8-21','peers-8-22')]:
        ca,cb=cell(n,a),cell(n,b)
        def f(c,peers): 
            if c is None: return '-'
            s=f"{c[0]:.4f} / {c[1]:.4f}"; s=f"**{s}**" if c[1]>1 else s
            return s+f": {c[3]}"
        out.append(', '.join(f(c,a.startswith('peers')) for c in [ca,cb] if c is not None) or '-')
    lab=f"{m} (final)" if n=='final' else f"{m}"
    print(f"| {lab} | "+' | '.join(out)+f" | {split[n]} |")
