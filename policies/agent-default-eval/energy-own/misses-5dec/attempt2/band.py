import json,sys,glob
# per-preference rewards'-units relative diff vs heuristic (diff, se) in a band
lo,hi=float(sys.argv[1]),float(sys.argv[2])
for f in sys.argv[3:]:
    d=json.load(open(f+'/report.json'))
    for s in d['Summaries']:
        v=s.get('VersusHeuristicRewardUnits')
        if not v or s['Name'] not in ('policy','agent-default'): continue
        pts=[p for p in v['PerPreference'] if lo-1e-9<=p[0]<=hi+1e-9]
        print(f.split('/')[-1], s['Name'][:8], ' '.join(f"{p[0]:.2f}:{100*p[1]:+.2f}({p[1]/p[2]:+.1f})" for p in pts))
