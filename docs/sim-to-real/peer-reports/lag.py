import sqlite3, struct, json, sys, collections
db = sys.argv[1]
c = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
lay = {}
for lid, meta in c.execute("select id, metadata from layouts"):
    m = json.loads(meta); lay[lid] = m['edgeagent.layout.scalar_features'].split(',')
st = collections.defaultdict(lambda: [0,0,0,0,0])  # n, offl, n busy, offl busy, sum running
for model, lid, cands, feats, w, decided, fc in c.execute("select model, layout_id, candidates, features, w_delay, decided, feature_count from decisions where outcome='ok'"):
    names = lay[lid]; F = fc; cl = json.loads(cands); v = struct.unpack(f'<{len(feats)//4}f', feats)
    peerbusy = 0
    for i, cn in enumerate(cl):
        if cn.startswith('peer:'):
            row = dict(zip(names, v[i*F:(i+1)*F]))
            peerbusy += row['RunningTasks'] + (2**row['QueuedLog'] - 1)
    s = st[(round(w,2), model)]
    off = decided.startswith('peer:')
    s[0] += 1; s[1] += off; s[4] += peerbusy
    if peerbusy > 0: s[2] += 1; s[3] += off
for k in sorted(st):
    n, o, nb, ob, sr = st[k]
    print(f"w {k[0]:4} {k[1]:8} n {n:4} offload {o/n:5.2f}  peer shows busy {nb/n:5.2f}  offload|busy {ob/nb if nb else float('nan'):5.2f}  offload|idle {(o-ob)/(n-nb) if n>nb else float('nan'):5.2f}")
