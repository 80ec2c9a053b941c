import json,sys,glob,os,math
# usage: ho.py DIR -> the held-out table: HV of each method / the candidate's; bold (**) above the candidate among non-clairvoyant; worse than heuristic normalised / rewards' units (+ w list)
sys.path.insert(0,'/tmp/lead-11'); from band import ranges
order=['agent-default','greedy','greedy-expected','greedy-estimate','heuristic','linucb','all-local','all-peer']
runs=sorted(glob.glob(sys.argv[1]+'/*/report.json'))
def key(f):
    n=f.split('/')[-2]; c,s=n.rsplit('-',1); grp=0 if c.startswith('demo') and c not in('demo-world',) else 1 if c=='demo-world' else 2 if c=='train' else 3
    return (grp, ['demo','demo-fast-cloud','demo-near-edge','demo-slow-links'].index(c) if grp==0 else c, -int(s) if grp==0 else int(s))
print('| contexts, seed | committed file | greedy (clairvoyant) | greedy-expected | greedy-estimate | heuristic | LinUCB | all-local | all-peer | worse than heuristic (normalised / rewards\' units) |')
print('|---|---|---|---|---|---|---|---|---|---|')
ratios={}
for f in sorted(runs,key=key):
    d=json.load(open(f)); S={s['Name']:s for s in d['Summaries']}; p=S['policy']['Hypervolume']; n=f.split('/')[-2]; c,s=n.rsplit('-',1)
    cells=[]
    for m in order:
        r=S[m]['Hypervolume']/p if p>0 else float('nan'); ratios.setdefault(m,{})[n]=r
        t=f"{r:.4f}"; cells.append(f"**{t}**" if r>1 and m!='greedy' else t)
    vn=S['policy']['VersusHeuristic']; vr=S['policy']['VersusHeuristicRewardUnits']
    w=[x[0] for x in vr['PerPreference'] if x[2]>0 and x[1]>2*x[2]]
    print(f"| {c}, {s} | "+' | '.join(cells)+f" | {vn['WorseBeyondNoise']} / {vr['WorseBeyondNoise']}{(' ('+ranges(w)+')') if w else ''} |")
if len(sys.argv)>2:
    import statistics as st
    for m in ['agent-default','greedy-expected','linucb','heuristic']:
        for grp,sel in [('demo6',lambda n:n.rsplit('-',1)[0] in('demo','demo-fast-cloud','demo-near-edge')),('other',lambda n:n.rsplit('-',1)[0] not in('demo','demo-fast-cloud','demo-near-edge'))]:
            xs=[v-1 for n,v in ratios[m].items() if sel(n) and math.isfinite(v) and v>0]
            if len(xs)>1:
                mu=st.mean(xs); se=st.stdev(xs)/math.sqrt(len(xs)); print(f"{m} {grp}: n={len(xs)} mean {100*mu:+.2f} % (t95 ~ {100*(mu-2.05*se):+.2f}..{100*(mu+2.05*se):+.2f}), above the candidate on {sum(x>0 for x in xs)}, max {100*max(xs):+.2f} %")
