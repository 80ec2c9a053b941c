import json,sys,glob,math
# per report: the rollout teacher's and the student's (policy) shortfall vs the heuristic (rewards' units, % of its cost +- SE) at w_delay >= 0.9
for f in sys.argv[1:]:
    d=json.load(open(f+'/report.json')); S={s['Name']:s for s in d['Summaries']}
    out=[]
    for m in ['rollout','policy','greedy-expected']:
        v={round(x[0],2):x for x in S[m]['VersusHeuristicRewardUnits']['PerPreference']}
        out.append(m+': '+' '.join(f"{w:.2f} {100*v[w][1]:+.2f}+-{100*v[w][2]:.2f}" for w in [0.9,0.95,0.98,0.99,1.0] if w in v))
    print(f.split('/')[-1]+' | '+' | '.join(out))
