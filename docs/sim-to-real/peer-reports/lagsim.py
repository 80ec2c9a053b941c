import csv, sys, collections
st = collections.defaultdict(lambda: [0,0,0,0])
with open(sys.argv[1]) as f:
    rd = csv.reader(f); head = next(rd); ix = {h:i for i,h in enumerate(head)}
    key=None; busy=0; cur=None
    def flush():
        if cur is None: return
        w, model, placement = cur
        s = st[(w, model)]; off = placement.startswith('peer:')
        s[0]+=1; s[1]+=off
        if busy>0: s[2]+=1; s[3]+=off
    for row in rd:
        k = tuple(row[:5])
        if k != key:
            flush(); key=k; busy=0; cur=(float(row[0]), row[4], row[5])
        if row[6].startswith('peer:'):
            busy += float(row[ix['running']]) + 2**float(row[ix['queued']]) - 1
    flush()
for k in sorted(st):
    n,o,nb,ob = st[k]
    print(f"w {k[0]:4} {k[1]:8} n {n:5} offload {o/n:5.2f}  peer shows busy {nb/n:5.2f}  offload|busy {ob/nb if nb else float('nan'):5.2f}  offload|idle {(o-ob)/(n-nb) if n>nb else float('nan'):5.2f}")
