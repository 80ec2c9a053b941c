import sqlite3,struct,sys,json,collections
# per (w_delay in log order) x candidate: availability, chosen share, mean features
cols=["bias","is_local","isq","accdrop","rtt","up","down","exec","running","queued","conc","qwait","resid","energy","delay","dvb","evb","reqb","respb","hasdl","dlm","ownin","backlog","arrwork","delay_own","energy_own","ownrate"]
show=["rtt","up","exec","queued","qwait","energy","delay","delay_own","energy_own","backlog","ownin"]
def fmt(k,v):
    if k in("up",): return "%.0fM"%(10**v/1e6)
    if k in("rtt","exec","qwait","delay","delay_own","backlog","resid","arrwork"): return "%.0fms"%((10**v-1e-4)*1e3)
    if k in("energy","energy_own"): return "%.3fJ"%(10**v-1e-6)
    if k in("queued","ownin"): return "%.1f"%(2**v-1)
    return "%.2f"%v
for db in sys.argv[1:]:
    c=sqlite3.connect(db)
    rows=c.execute("select ts_us,model,candidates,features,mask,w_delay,decided,ran_at,outcome,delay_s,feature_count from decisions order by id").fetchall()
    print("==",db,len(rows))
    groups=collections.OrderedDict()
    for ts,model,cands,feat,mask,w,dec,ran,out,d,fc in rows:
        groups.setdefault(w,[]).append((ts,model,json.loads(cands),feat,mask,dec,ran,out,d,fc))
    for w,g in groups.items():
        n=len(g)
        dec=collections.Counter(x[5] for x in g); fail=sum(1 for x in g if x[7]!='ok')
        print("w=%s n=%d decided=%s fail=%d"%(w,n,dict(dec),fail))
        # split into thirds by time
        for part,sub in (("first",g[:max(1,n//4)]),("last",g[-max(1,n//4):])):
            acc=collections.defaultdict(lambda: collections.defaultdict(list)); avail=collections.Counter(); tot=collections.Counter()
            for ts,model,cands,feat,mask,decd,ran,out,d,fc in sub:
                vals=struct.unpack("<%df"%(len(feat)//4),feat)
                present=[i for i in range(len(cands)) if mask[i]]
                # features hold present rows only
                for j,i in enumerate(present):
                    row=vals[j*fc:(j+1)*fc]
                    for k in show:
                        acc[cands[i]][k].append(row[cols.index(k)])
                for i,cn in enumerate(cands):
                    tot[cn]+=1; avail[cn]+=mask[i]
            s=[]
            for cn in sorted(tot):
                a=acc[cn]
                s.append("%s avail %d/%d "%(cn,avail[cn],tot[cn])+" ".join("%s=%s"%(k,fmt(k,sum(a[k])/len(a[k]))) for k in show if a[k]))
            print("   ",part,"| "+" | ".join(s))
