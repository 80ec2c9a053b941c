import json,sys,os
# usage: gate8.py NAME... -> pass.py's verdict and mean committed/candidate HV over the 8 gate runs only (the info runs of info.sh left out)
G=["demo-fast-cloud-9","peers-8-21","demo-fast-cloud-11","demo-near-edge-9","demo-near-edge-11","demo-9","demo-11","peers-8-22"]
for name in sys.argv[1:]:
    ok=True; why=[]; r=[]; n=0
    for g in G:
        f=f'/tmp/lead-11/sel/{name}-{g}-e50/report.json'
        if not os.path.exists(f): continue
        d=json.load(open(f)); S={s['Name']:s for s in d['Summaries']}; n+=1
        v=S['policy']['VersusHeuristicRewardUnits']['PerPreference']
        if any(p[2]>0 and p[1]>2*p[2] for p in v): ok=False; why.append(g+':pref')
        if (g.startswith('demo') or g.startswith('peers-8')) and S['greedy-expected']['Hypervolume']>S['policy']['Hypervolume']: ok=False; why.append(g+':ge')
        r.append(S['agent-default']['Hypervolume']/S['policy']['Hypervolume'])
    print(name, 'PASS' if ok and n==8 else ('FAIL' if not ok else f'INCOMPLETE'), n, f"mean comm/cand {sum(r)/len(r):.5f}" if r else '', ' '.join(why))
