import json,sys
# first w_delay at which the policy's mean energy exceeds 80 (its fast regime) on a demo-fast-cloud report; and its point at 0.67
for f in sys.argv[1:]:
  d=json.load(open(f+'/report.json'))
  for m in d['Methods']:
    if m['Name']!='policy': continue
    P=sorted(m['Points'],key=lambda p:p['DelayWeight'])
    sw=next((p['DelayWeight'] for p in P if p['DelayWeight']>0.3 and p['MeanEnergy']>80),None)
    q=next(p for p in P if abs(p['DelayWeight']-0.67)<1e-6)
    print(f.split('/')[-1], 'switch', sw, 'at 0.67: (%.1f, %.1f)'%(q['MeanDelay'],q['MeanEnergy']))
