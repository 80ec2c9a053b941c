import json,sys
# usage: pts.py REPORTDIR... : (delay, energy) per preference in 0.56-0.9 of each method
for f in sys.argv[1:]:
    d=json.load(open(f+'/report.json'))
    for m in d['Methods']:
        pts=[p for p in m['Points'] if 0.55<=p['DelayWeight']<=0.9]  
        
        print(f, m['Name'][:12], ' '.join(f"{p['DelayWeight']:.2f}:({p['MeanDelay']:.1f},{p['MeanEnergy']:.1f})" for p in pts))
