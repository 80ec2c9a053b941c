import json,sys,glob,os
# per report: HV(committed)/HV(candidate), and the preferences where each is worse than the heuristic beyond 2 SE (rewards' units)
for f in sorted(x for x in sum([glob.glob(a) for a in sys.argv[1:]],[]) if os.path.isdir(x)):
    d=json.load(open(f+'/report.json'))
    S={s['Name']:s for s in d['Summaries']}
    hvp=S['policy']['Hypervolume']; hvc=S['agent-default']['Hypervolume']
    out=[os.path.basename(f), f"committed/cand={hvc/hvp:.4f}"]
    for n in ('policy','agent-default'):
        v=S[n]['VersusHeuristicRewardUnits']
        w=[f"{p[0]:.2f}({100*p[1]:+.2f}%,{p[1]/p[2]:.1f})" for p in v['PerPreference'] if p[2]>0 and p[1]>2*p[2]]
        out.append(f"{'cand' if n=='policy' else 'comm'}:[{' '.join(w) or 'none'}]")
    print(' '.join(out))
