# HV of (mean delay s, mean energy J per request) fronts under given references: live and predicted points of eval live reports.
# usage: hvmix.py BASETAG:LOGS CANDTAG:LOGS   e.g. gen:g1,g2 t1955:t1,t2  (reads /tmp/s2r-w/mix/TAG-LOG/report.json)
import json,sys,statistics as st
def hv(pts,ref):
    P=sorted([p for p in pts if p[0]<ref[0] and p[1]<ref[1]]); area=0; be=ref[1]
    for d,e in P:
        if e<be: area+=(ref[0]-d)*(be-e); be=e
    return area
def load(spec,kind):
    tag,logs=spec.split(':'); out=[]
    for l in logs.split(','):
        d=json.load(open('/tmp/s2r-w/mix/%s-%s/report.json'%(tag,l)))
        out.append([(p[kind]['delay_seconds'],p[kind]['energy_joules']) for p in d['points'] if (len(sys.argv)<4 or p['preference'] in [float(x) for x in sys.argv[3].split(',')])])
    return out
B,C=sys.argv[1],sys.argv[2]
for ref in [(1.0,0.25),(0.5,0.25),(0.35,0.25),(0.35,0.22),(0.3,0.2)]:
    row=[]
    for kind in ['live','predicted']:
        b=[hv(x,ref) for x in load(B,kind)]; c=[hv(x,ref) for x in load(C,kind)]
        row.append('%s %.4f (%s)'%(kind, (sum(c)/len(c))/(sum(b)/len(b)), ' '.join('%.3f'%(y/x) for x,y in zip(b,c)) if len(b)==len(c) else ''))
    print(ref,' | '.join(row))
