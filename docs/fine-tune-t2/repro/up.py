import sqlite3,struct,sys,json
cols=["bias","is_local","isq","accdrop","rtt","up","down","exec","running","queued","conc","qwait","resid","energy","delay"]
for db in sys.argv[1:]:
    c=sqlite3.connect(db)
    vals={'peer:cloud':[], 'peer:edge':[]}; en={'peer:cloud':[], 'peer:edge':[], 'local':[]}; rtt={'peer:cloud':[], 'peer:edge':[]}
    for cands,feat,mask,fc,w in c.execute("select candidates,features,mask,feature_count,w_delay from decisions where w_delay < 0.5 and w_delay > 0.0005 and w_delay<0.99"):
        cands=json.loads(cands); v=struct.unpack("<%df"%(len(feat)//4),feat)
        present=[i for i in range(len(cands)) if mask[i]]
        for j,i in enumerate(present):
            row=v[j*fc:(j+1)*fc]
            if cands[i] in vals: vals[cands[i]].append(10**row[5]/1e6); rtt[cands[i]].append((10**row[4]-1e-4)*1e3)
            en[cands[i]].append(10**row[13]-1e-6)
    def q(a,p): a=sorted(a); return a[int(p*(len(a)-1))]
    print(db.split('/')[-3])
    for k in vals: print("  %s uplink Mbit/s p10 %.0f p50 %.0f p90 %.0f | rtt ms p10 %.1f p50 %.1f p90 %.1f"%(k,q(vals[k],.1),q(vals[k],.5),q(vals[k],.9),q(rtt[k],.1),q(rtt[k],.5),q(rtt[k],.9)))
    for k in en: print("  %s energy est J p10 %.3f p50 %.3f p90 %.3f"%(k,q(en[k],.1),q(en[k],.5),q(en[k],.9)))
