import json,sys
def ranges(ws):
    ws=sorted(ws); out=[]
    for w in ws:
        if out and abs(w-out[-1][1]-0.01)<1e-6: out[-1][1]=w
        else: out.append([w,w])
    return ', '.join(f"{a:.2f}" if a==b else f"{a:.2f}-{b:.2f}" for a,b in out) or 'none'
if __name__=="__main__":
 for f in sys.argv[1:]:
     d=json.load(open(f+'/report.json')); S={x['Name']:x for x in d['Summaries']}
     v=S['policy']['VersusHeuristicRewardUnits']['PerPreference']
     w=[p[0] for p in v if p[2]>0 and p[1]>2*p[2]]
     a=next(p for p in v if abs(p[0]-0.67)<1e-6)
     print(f.split('/')[-1], f"comm/cand={S['agent-default']['Hypervolume']/S['policy']['Hypervolume']:.4f}", f"ge/cand={S['greedy-expected']['Hypervolume']/S['policy']['Hypervolume']:.4f}", f"0.67: {100*a[1]:+.2f}%", ranges(w))
