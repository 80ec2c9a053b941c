import sqlite3,struct,sys,json
cols_up=5; cols_rtt=4
for db in sys.argv[1:]:
    c=sqlite3.connect(db)
    rows=c.execute("select ts_us,candidates,features,mask,feature_count,w_delay,ran_at,transfer_s,input_bytes,delay_s,model from decisions order by id").fetchall()
    t0=rows[0][0]
    print(db)
    prev={}
    for ts,cands,feat,mask,fc,w,ran,tr,ib,d,model in rows:
        cands=json.loads(cands); v=struct.unpack("<%df"%(len(feat)//4),feat)
        present=[i for i in range(len(cands)) if mask[i]]
        est={}
        for j,i in enumerate(present):
            if cands[i].startswith('peer:'): est[cands[i]]=10**v[j*fc+cols_up]/1e6
        line=[]
        for k in ('peer:cloud','peer:edge'):
            if k in est and (k not in prev or abs(est[k]-prev[k])>0.5):
                line.append("%s est %.0f"%(k,est[k])); prev[k]=est[k]
        s=""
        if ran.startswith('peer:'):
            s="ran %s %s %dB wire %.1f ms (%.0f Mbit/s incl. rtt)"%(ran,model,ib,tr*1000, ib*8/max(tr,1e-6)/1e6)
        if line: print("  t=%6.2f w=%-5s %s | %s"%((ts-t0)/1e6,w," ".join(line),s))
