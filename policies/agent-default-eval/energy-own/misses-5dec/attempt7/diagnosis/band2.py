import json,sys
for path in sys.argv[1:]:
    r=json.load(open(path+'/report.json')); S={s['Name']:s for s in r['Summaries']}
    for name in S:
        vh=S[name].get('VersusHeuristicRewardUnits')
        if not vh: continue
        v=vh['PerPreference']
        worse=[p[0] for p in v if p[2]>0 and p[1]>2*p[2]]
        band=' '.join(f"{p[0]:.2f}:{p[1]*100:+.1f}" for p in v if 0.6<=p[0]<=0.9 and abs(p[0]*100-round(p[0]*100))<1e-6 and round(p[0]*100)%2==1 or abs(p[0]-0.97)<1e-6)
        print(path.split('/')[-1], name, 'worse at', worse, '|', band)
