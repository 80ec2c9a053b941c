import json,sys,os
# usage: hotable.py DIR -- held-out table: HV of each method / the candidate's ('policy'); bold above it among non-clairvoyant; misses vs heuristic: normalised / rewards' units
d0=sys.argv[1]
runs="demo-fast-cloud:101 demo-fast-cloud:8 demo-near-edge:101 demo-near-edge:8 demo:101 demo:8 demo-slow-links:101 demo-slow-links:8 demo-world:101 demo-world:102 train:101 train:102 train:103 train:104 train:105 bw-1000mbit:104 bw-1000mbit:105 bw-1mbit:104 bw-1mbit:105 peers-0:104 peers-0:105 peers-1:104 peers-1:105 peers-8:104 peers-8:105 rtt-0.2ms:104 rtt-0.2ms:105 rtt-300ms:104 rtt-300ms:105 speed-0.25x:104 speed-0.25x:105 speed-20x:104 speed-20x:105".split()
cols=['agent-default','greedy','greedy-expected','greedy-estimate','heuristic','linucb','all-local','all-peer']
def ranges(ws):
    ws=sorted(ws); out=[]
    for w in ws:
        if out and abs(w-out[-1][1]-0.01)<1e-6: out[-1][1]=w
        else: out.append([w,w])
    return ', '.join(f"{a:.2f}" if a==b else f"{a:.2f}-{b:.2f}" for a,b in out) or 'none'
print('| contexts, seed | committed file | greedy (clairvoyant) | greedy-expected | greedy-estimate | heuristic | LinUCB | all-local | all-peer | worse than heuristic: normalised / rewards\' units (preferences) | committed file, rewards\' units |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
above=[]
for r in runs:
    c,s=r.split(':'); f=f'{d0}/{c}-{s}/report.json'
    if not os.path.exists(f): continue
    d=json.load(open(f)); S={x['Name']:x for x in d['Summaries']}
    hv=S['policy']['Hypervolume']; cells=[]
    for n in cols:
        x=S[n]['Hypervolume']/hv
        b = n!='greedy' and round(x,4)>=1.0 and x>1.0
        if b and n!='agent-default': above.append((r,n,x))
        cells.append(f"**{x:.4f}**" if b else f"{x:.4f}")
    vn=S['policy']['VersusHeuristic']; vr=S['policy']['VersusHeuristicRewardUnits']; vc=S['agent-default']['VersusHeuristicRewardUnits']
    wr=[p[0] for p in vr['PerPreference'] if p[2]>0 and p[1]>2*p[2]]
    wc=[p[0] for p in vc['PerPreference'] if p[2]>0 and p[1]>2*p[2]]
    print(f"| {c}, {s} | "+' | '.join(cells)+f" | {vn['WorseBeyondNoise']} / {vr['WorseBeyondNoise']} ({ranges(wr)}) | {vc['WorseBeyondNoise']} ({ranges(wc)}) |")
print('non-clairvoyant baselines above the candidate:', [(a,b,round(x,4)) for a,b,x in above])
