import sys,re
def parse(path):
    rows=[l for l in open(path) if l.startswith('| ') and not l.startswith('| w_delay')]
    hdr=[l for l in open(path) if l.startswith('| w_delay')][0].strip().strip('|').split('|')
    names=[h.strip() for h in hdr[1:]]
    fr={n:[] for n in names}
    for l in rows:
        cells=l.strip().strip('|').split('|')
        w=float(cells[0])
        for n,c in zip(names,cells[1:]):
            m=re.match(r'\s*([\d.]+) / ([\d.]+)',c); fr[n].append((w,float(m.group(1))/1000,float(m.group(2))))
    return fr
def hv(pts,ref):
    pts=sorted(set((d,e) for d,e in pts if d<ref[0] and e<ref[1]))
    a=0; best=ref[1]
    for i,(d,e) in enumerate(pts):
        if e<best:
            a+=(ref[0]-d)*(best-e); best=e
    return a
fr=parse(sys.argv[1]); names=list(fr)
g=fr[names[0]]
for n in names[1:]:
    o=fr[n]
    ref=(1.1*max(p[1] for p in g+o),1.1*max(p[2] for p in g+o))
    base=hv([(d,e) for _,d,e in g],ref)
    print(n,'ratio %.4f'%(hv([(d,e) for _,d,e in o],ref)/base))
    for k in range(len(g)):
        mix=[(d,e) for _,d,e in g]; mix[k]=(o[k][1],o[k][2])
        r=hv(mix,ref)/base
        if abs(r-1)>0.002: print('   swap w=%.1f -> %.4f'%(g[k][0],r))
