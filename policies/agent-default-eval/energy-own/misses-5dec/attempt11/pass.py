import json,sys,glob,os
# usage: pass.py NAME -> "PASS n" if, on every selection report of NAME: worse than the heuristic beyond 2 SE (rewards' units) at no preference,
# and on demo*, peers-8 runs HV >= greedy-expected's; else "FAIL n reason"; plus the mean committed/candidate HV ratio (attempt6/7's gate)
name=sys.argv[1]; ok=True; n=0; why=[]; ratios=[]
for f in sorted(glob.glob(f'/tmp/lead-11/sel/{name}-*')):
    if not os.path.isdir(f) or not os.path.exists(f+'/report.json'): continue
    d=json.load(open(f+'/report.json')); S={s['Name']:s for s in d['Summaries']}; n+=1
    v=S['policy']['VersusHeuristicRewardUnits']['PerPreference']
    tag=f.split('/')[-1]
    if any(p[2]>0 and p[1]>2*p[2] for p in v): ok=False; why.append(tag+':pref')
    if (tag.startswith(name+'-demo') or tag.startswith(name+'-peers-8')) and S['greedy-expected']['Hypervolume']>S['policy']['Hypervolume']: ok=False; why.append(tag+':ge')
    ratios.append(S['agent-default']['Hypervolume']/S['policy']['Hypervolume'])
m=sum(ratios)/len(ratios) if ratios else float('nan')
print(('PASS' if ok and n>0 else 'FAIL'), n, f"mean comm/cand {m:.4f}", ' '.join(why))
