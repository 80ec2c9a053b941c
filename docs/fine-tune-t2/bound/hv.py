import json,sys
def hv(pts,ref):
    P=sorted([p for p in pts if p[0]<ref[0] and p[1]<ref[1]])
    # nondominated sweep by delay asc
    area=0; best_e=ref[1]
    for d,e in P:
        if e<best_e:
            area+=(ref[0]-d)*(best_e-e); best_e=e
    return area
ref=(1.0,0.25)
D='/work/wt/s2r/docs/fine-tune-lag/compare/'
for s in ['g1','g2','g3','g4','g5','g6','t1','t2','t3','t4','t5','t6']:
    d=json.load(open(D+s+'-report.json'))
    pts=[(p['live']['delay_seconds'],p['live']['energy_joules'],p['preference']) for p in d['points']]
    full=hv([(a,b) for a,b,w in pts],ref)
    ends=hv([(a,b) for a,b,w in pts if w<=0.1 or w>=0.4],ref)
    only01=hv([(a,b) for a,b,w in pts if w<=0.1],ref)
    print(s,"full %.4f  without 0.2/0.3 %.4f (%.1f%%)  w<=0.1 only %.4f (%.1f%%)"%(full,ends,100*ends/full,only01,100*only01/full))
