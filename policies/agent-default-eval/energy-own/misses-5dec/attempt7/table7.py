import json,os
def ranges(ws):
    ws=sorted(ws); out=[]
    for w in ws:
        if out and abs(w-out[-1][1]-0.01)<1e-6: out[-1][1]=w
        else: out.append([w,w])
    return ', '.join(f"{a:.2f}" if a==b else f"{a:.2f}-{b:.2f}" for a,b in out) or 'none'
def miss(S,n):
    v=S[n]['VersusHeuristicRewardUnits']['PerPreference']; return ranges([p[0] for p in v if p[2]>0 and p[1]>2*p[2]])
runs=["demo-fast-cloud-9-e50","demo-fast-cloud-11-e50","demo-near-edge-9-e50","demo-near-edge-11-e50","demo-9-e50","demo-11-e50","peers-8-21-e50","peers-8-22-e50","bw-1000mbit-21-e10","rtt-300ms-21-e10","speed-20x-21-e10","speed-0.25x-21-e10","peers-1-21-e10","rtt-0.2ms-21-e10"]
print("| contexts, seed (episodes) | committed file: worse than heuristic at | t301 | t302 | t303 | t304 |")
print("|---|---|---|---|---|---|")
for r in runs:
    cells=[]; comm=None
    for c in ["t301","t302","t303","t304"]:
        f=f"/tmp/rew9/sel/{c}-{r}/report.json"
        if not os.path.exists(f): cells.append("-"); continue
        S={s['Name']:s for s in json.load(open(f))['Summaries']}
        comm=comm or miss(S,'agent-default')
        cells.append(f"{S['agent-default']['Hypervolume']/S['policy']['Hypervolume']:.4f} / {S['greedy-expected']['Hypervolume']/S['policy']['Hypervolume']:.4f}: {miss(S,'policy')}")
    name,seed,ep=r.rsplit('-',2)
    print(f"| {name}, {seed} ({ep[1:]}) | {comm} | "+" | ".join(cells)+" |")
