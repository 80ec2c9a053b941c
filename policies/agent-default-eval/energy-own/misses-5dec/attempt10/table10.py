import json,os,sys,re,glob,subprocess
# the tenth attempt's gate table per file (minutes from the stage's start 03:58:46): per gate run committed/cand HV, greedy-expected/cand HV,
# where worse than the heuristic beyond 2 SE (rewards' units); the dne 0.97 split (policy's P0 share of recognition = model 2, agreement
# without | with own stages pending); the dne pooled worst z (part (2)) when run
sys.path.insert(0,'/tmp/rew-10'); from band import ranges
G=["demo-fast-cloud-9","peers-8-21","demo-fast-cloud-11","demo-near-edge-9","demo-near-edge-11","demo-9","demo-11","peers-8-22"]
import datetime
t0=datetime.datetime.strptime('03:58:46','%H:%M:%S')
names=sorted(os.path.basename(f)[:-5] for f in glob.glob('/tmp/rew-10/ck/s1-*.onnx') if os.path.basename(f)>='s1-042800')
if os.path.exists('/tmp/rew-10/sel/final-demo-fast-cloud-9-e50'): names.append('final')
print('| file (min) | '+' | '.join(G)+' | dne 0.97 split: recognition P0 share; agreement | dne pooled 9/11/21/22, worst z (w) | gate |'); print('|---'*(len(G)+4)+'|')
for n in names:
    m='60' if n=='final' else str(round(((datetime.datetime.strptime(n[3:],'%H%M%S')-t0).seconds-20)/60))
    cells=[]
    for g in G:
        f=f'/tmp/rew-10/sel/{n}-{g}-e50/report.json'
        if not os.path.exists(f): cells.append('-'); continue
        d=json.load(open(f)); S={s['Name']:s for s in d['Summaries']}; p=S['policy']['Hypervolume']
        v=S['policy']['VersusHeuristicRewardUnits']['PerPreference']; w=[x[0] for x in v if x[2]>0 and x[1]>2*x[2]]
        c=f"{S['agent-default']['Hypervolume']/p:.4f} / {S['greedy-expected']['Hypervolume']/p:.4f}"
        if S['greedy-expected']['Hypervolume']>p: c=f"**{c}**"
        cells.append(c+': '+ranges(w))
    sp='-'; f=f'/tmp/rew-10/diag/decisions-{n}-dne-21-w097.md'
    if os.path.exists(f):
        t=open(f).read(); row=[l for l in t.splitlines() if l.startswith('| policy')][0].split('|')[4]
        a=re.search(r'P0 ([0-9.]+)',row); ag=re.search(r'- policy:.*model 2 ([0-9.]+) \| ([0-9.]+)',t)
        sp=f"{a.group(1) if a else '0'}; {ag.group(1)} \\| {ag.group(2)}"
    po='-'; f=f'/tmp/rew-10/ne/pool-{n}.txt'
    if os.path.exists(f):
        l=[x for x in open(f) if x.startswith('policy')][0]; z=re.search(r'worst pooled z ([-+0-9.]+) at w ([0-9.]+) \(([^)]*)\)',l); po=f"{z.group(1)} ({z.group(2)}: {z.group(3)})"
    g8=subprocess.run(['python3','/tmp/rew-10/gate8.py',n],capture_output=True,text=True).stdout.split()
    print(f"| {n} ({m}) | "+' | '.join(cells)+f" | {sp} | {po} | {' '.join(g8[1:6])} |")
