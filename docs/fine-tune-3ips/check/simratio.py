# the simulator's predicted fronts of eval live reports (report.json): candidate / baseline HV under 1.1 x the worst predicted point of both
import json,sys
def pts(d):
    r=json.load(open(d+'/report.json'))
    return [(p['predicted']['delay_seconds'],p['predicted']['energy_joules']) for p in r['points']]
def hv(P,ref):
    a=0;best=ref[1]
    for d,e in sorted(set(P)):
        if d<ref[0] and e<best: a+=(ref[0]-d)*(best-e); best=e
    return a
b=pts(sys.argv[1]); c=pts(sys.argv[2])
ref=(1.1*max(x[0] for x in b+c),1.1*max(x[1] for x in b+c))
print('pred', sys.argv[2],'/',sys.argv[1], '%.4f'%(hv(c,ref)/hv(b,ref)), 'ref %.4f s %.4f J'%ref)
for x,y in zip(b,c): print('  %.1f ms %.4f J | %.1f ms %.4f J'%(x[0]*1000,x[1],y[0]*1000,y[1]))
