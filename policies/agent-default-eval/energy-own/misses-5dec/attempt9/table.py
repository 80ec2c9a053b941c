import json,os,sys
sys.path.insert(0,'/tmp/rew-9'); from band import ranges
# the gate table per checkpoint: committed/cand HV, greedy-expected/cand HV, share of the heuristic's cost at 0.67, where worse than the heuristic
G=["demo-fast-cloud-9","demo-fast-cloud-11","demo-near-edge-9","demo-near-edge-11","demo-9","demo-11","peers-8-21","peers-8-22"]
names=[('s1-014813',30),('s1-015118',33),('s1-015423',36),('s1-015713',39),('s1-020018',42),('s1-020323',45),('s1-020614',48),('s1-020919',51),('s1-021224',54),('s1-021514',57),('final',60)]
print('| checkpoint (min) | '+' | '.join(G)+' |'); print('|---'*(len(G)+1)+'|')
for n,m in names:
    cells=[]
    for g in G:
        f=f'/tmp/rew-9/sel/{n}-{g}-e50/report.json'
        if not os.path.exists(f): cells.append('-'); continue
        d=json.load(open(f)); S={s['Name']:s for s in d['Summaries']}; p=S['policy']['Hypervolume']
        v=S['policy']['VersusHeuristicRewardUnits']['PerPreference']; w=[x[0] for x in v if x[2]>0 and x[1]>2*x[2]]
        a=[x for x in v if abs(x[0]-0.67)<1e-9][0]
        c=f"{S['agent-default']['Hypervolume']/p:.4f} / {S['greedy-expected']['Hypervolume']/p:.4f}"
        if g.startswith('demo-fast'): c+=f": {100*a[1]:+.2f} %"
        c+=', '+ranges(w) if g.startswith('demo-fast') else ': '+ranges(w)
        cells.append(c)
    print(f'| {n} ({m}) | '+' | '.join(cells)+' |')
