import json,glob,sys
# rule part (3), HV clause: in each held-out report, every baseline whose HV is below the committed file's (agent-default) must be below the candidate's too
B=['greedy-expected','greedy-estimate','heuristic','linucb','all-local','all-peer']
bad=[]
for f in sorted(glob.glob(sys.argv[1]+'/*/report.json')):
    d=json.load(open(f)); S={s['Name']:s['Hypervolume'] for s in d['Summaries']}; n=f.split('/')[-2]
    for b in B:
        if S['agent-default']>S[b] and S['policy']<=S[b]: bad.append(f"{n}: {b} {S[b]/S['policy']:.4f}x the candidate (committed {S['agent-default']/S['policy']:.4f}x)")
print(len(bad),'violations'); print('\n'.join(bad))
