import json,sys,glob,os
# usage: pass.py NAME  -> prints PASS if on every selection report of NAME the candidate is worse than the heuristic beyond 2 SE at no preference
name=sys.argv[1]; ok=True; n=0
for f in glob.glob(f'/tmp/rew7/sel/{name}-*'):
    if not os.path.isdir(f) or not os.path.exists(f+'/report.json'): continue
    d=json.load(open(f+'/report.json')); S={s['Name']:s for s in d['Summaries']}; n+=1
    v=S['policy']['VersusHeuristicRewardUnits']
    if any(p[2]>0 and p[1]>2*p[2] for p in v['PerPreference']): ok=False
print('PASS' if ok and n>0 else 'FAIL', n)
