import json,glob,sys
# rule part (3), HV clause with the 06:34 allowance: in each held-out report, every baseline whose HV is below the committed file's
# (agent-default) must not be above the candidate's by more than 0.3 % (the 10-episode runs' noise); strict violations listed too
B=['greedy-expected','greedy-estimate','heuristic','linucb','all-local','all-peer']
strict=[]; beyond=[]
for f in sorted(glob.glob(sys.argv[1]+'/*/report.json')):
    d=json.load(open(f)); S={s['Name']:s['Hypervolume'] for s in d['Summaries']}; n=f.split('/')[-2]
    for b in B:
        if S['agent-default']>S[b] and S['policy']<=S[b]:
            line=f"{n}: {b} {S[b]/S['policy']:.4f}x the candidate (committed {S['agent-default']/S['policy']:.4f}x)"
            strict.append(line)
            if S[b]/S['policy']>1.003: beyond.append(line)
print(len(beyond),'violations beyond the 0.3 % allowance'); print('\n'.join(beyond))
print(len(strict),'strict (no allowance)'); print('\n'.join(strict))
