import json,sys
# usage: pts.py REPORTDIR... : mean delay/energy of policy, agent-default, heuristic at w in the band (report's units)
W=[0.55,0.6,0.62,0.64,0.66,0.67,0.69,0.71,0.73,0.75,0.8]
for f in sys.argv[1:]:
  d=json.load(open(f+'/report.json'))
  for m in d['Methods']:
    if m['Name'] not in ('policy','agent-default','heuristic'): continue
    P={round(p['DelayWeight'],2):p for p in m['Points']}
    print(f.split('/')[-1][:28].ljust(28), m['Name'][:9].ljust(9), ' '.join(f"{w}:({P[w]['MeanDelay']:.1f},{P[w]['MeanEnergy']:.1f})" for w in W if w in P))
