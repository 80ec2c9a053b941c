import sqlite3,json,collections,sys
for db in sys.argv[1:]:
    c=sqlite3.connect(db)
    rows=c.execute("select ts_us,candidates,mask,w_delay,decided,ran_at,outcome,fallback_from from decisions order by id").fetchall()
    g=collections.OrderedDict()
    for ts,cands,mask,w,dec,ran,out,fb in rows:
        cands=json.loads(cands); d=g.setdefault(w,collections.Counter())
        d['n']+=1
        for i,cn in enumerate(cands):
            if not mask[i]: d['masked:'+cn]+=1
        if fb: d['fb:'+fb]+=1
        if out!='ok': d['fail']+=1
        d['ran:'+ran]+=1
    print(db)
    for w,d in g.items(): print("  w=%-6s"%w, " ".join("%s=%d"%(k,v) for k,v in sorted(d.items())))
