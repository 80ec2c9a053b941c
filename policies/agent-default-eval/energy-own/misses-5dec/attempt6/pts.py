import json,sys
# usage: pts.py REPORTDIR w1,w2,...  -> (delay, energy) of each method at those preferences
d=json.load(open(sys.argv[1]+'/report.json'))
ws=[float(x) for x in sys.argv[2].split(',')]
M={m['Name']:{round(p['DelayWeight'],2):(p['MeanDelay'],p['MeanEnergy']) for p in m['Points']} for m in d['Methods']}
print('w     '+'  '.join(f"{n:>18}" for n in M))
for w in ws:
    print(f"{w:.2f}  "+'  '.join(f"({M[n][w][0]:6.1f},{M[n][w][1]:5.1f})".rjust(18) for n in M))
