import json,sys,math
# usage: pool.py [--method NAME] [--lo 0.90] [--hi 1.00] REPORTDIR...
# demo-near-edge pooling (tenth attempt's rule part (2)): per preference w_delay in [lo, hi], the shortfall of METHOD (default: policy;
# agent-default = the --compare'd committed file) against the heuristic, in rewards' units as a share of the heuristic's cost
# (VersusHeuristicRewardUnits.PerPreference: [w, diff, se] per report), pooled over the reports with inverse-variance weights:
# mean = sum(d/se^2)/sum(1/se^2), SE = 1/sqrt(sum(1/se^2)); z = mean/SE. Prints one line per w and the worst (largest) pooled z;
# "beyond 2 SE" = z > 2 -> the rule's part (2) is not met.
a=sys.argv[1:]; method='policy'; lo=0.90; hi=1.00
while a and a[0].startswith('--'):
    k,v=a[0],a[1]; a=a[2:]
    if k=='--method': method=v
    elif k=='--lo': lo=float(v)
    elif k=='--hi': hi=float(v)
per={}
for f in a:
    d=json.load(open(f.rstrip('/')+'/report.json')); S={s['Name']:s for s in d['Summaries']}
    for w,m,se in S[method]['VersusHeuristicRewardUnits']['PerPreference']:
        if lo-1e-9<=w<=hi+1e-9: per.setdefault(round(w,2),[]).append((m,se))
worst=None
for w in sorted(per):
    xs=per[w]; num=sum(m/se**2 for m,se in xs if se>0); den=sum(1/se**2 for m,se in xs if se>0)
    mu=num/den; se=1/math.sqrt(den); z=mu/se
    print(f"w {w:.2f}: " + ' '.join(f"{100*m:+.2f}" for m,_ in xs) + f" -> pooled {100*mu:+.2f} % +- {100*se:.2f} (z {z:+.2f}){'  BEYOND 2 SE' if z>2 else ''}")
    if worst is None or z>worst[1]: worst=(w,z,mu,se)
print(f"{method} n={len(a)} worst pooled z {worst[1]:+.2f} at w {worst[0]:.2f} ({100*worst[2]:+.2f} % +- {100*worst[3]:.2f}): {'FAIL' if worst[1]>2 else 'PASS'}")
