# HV ratios from an `eval live-predict` table, on a subset of the weights, under given references
import sys,re
def hv(pts,ref):
    P=sorted([p for p in pts if p[0]<ref[0] and p[1]<ref[1]]); area=0; be=ref[1]
    for d,e in P:
        if e<be: area+=(ref[0]-d)*(be-e); be=e
    return area
lines=[l for l in open(sys.argv[1]) if l.startswith('|')]
head=[h.strip() for h in lines[0].strip('|\n').split('|')]
ws=[float(x) for x in sys.argv[2].split(',')] if len(sys.argv)>2 and sys.argv[2]!='all' else None
cols={h:[] for h in head[1:]}
for l in lines[2:]:
    cells=[c.strip() for c in l.strip('|\n').split('|')]
    if not re.match(r'^[0-9.]+$',cells[0]): continue
    if ws is not None and float(cells[0]) not in ws: continue
    for h,c in zip(head[1:],cells[1:]):
        m=re.match(r'([0-9.]+) / ([0-9.]+)',c)
        if m: cols[h].append((float(m.group(1))/1000,float(m.group(2))))
for ref in [(0.35,0.25),(1.0,0.25)]:
    base=hv(cols[head[1]],ref)
    print(ref,'  '.join('%s %.4f'%(h,hv(cols[h],ref)/base) for h in head[1:]))
