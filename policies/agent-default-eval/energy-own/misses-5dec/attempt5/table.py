import json,sys,os
# rows: context,seed; columns: candidates; cell: committed HV / candidate HV: worse-than-heuristic preferences (ranges)
def ranges(ws):
    ws=sorted(ws); out=[]; 
    for w in ws:
        if out and abs(w-out[-1][1]-0.01)<1e-6: out[-1][1]=w
        else: out.append([w,w])
    return ', '.join(f"{a:.2f}" if a==b else f"{a:.2f}-{b:.2f}" for a,b in out) or 'none'
cands=sys.argv[1:]
print('| contexts, seed | '+' | '.join(cands)+' |'); print('|---|'+'---|'*len(cands))
for c in ['demo','demo-fast-cloud','demo-near-edge']:
  for s in [9,11]:
    row=[]
    for n in cands:
      f=f'/tmp/rew7/sel/{n}-{c}-{s}-e50/report.json'
      if not os.path.exists(f): row.append('-'); continue
      d=json.load(open(f)); S={x['Name']:x for x in d['Summaries']}
      r=S['agent-default']['Hypervolume']/S['policy']['Hypervolume']
      w=[p[0] for p in S['policy']['VersusHeuristicRewardUnits']['PerPreference'] if p[2]>0 and p[1]>2*p[2]]
      row.append(f"{r:.4f}: {ranges(w)}")
    print(f'| {c}, {s} | '+' | '.join(row)+' |')
