# The seven generic sweeps of the 23:02 window (docs/fine-tune-t2/compare/g1-g7-decisions.db.gz, quiet machine) as one
# decision log for `edgeagent calibrate --from-log`: g1's file with g2-g7's decisions rows appended (ids renumbered; one layout).
import sqlite3
c = sqlite3.connect('/tmp/s2r-w/merged-g.db')   # a copy of g1's decisions.db
cols = [r[1] for r in c.execute('pragma table_info(decisions)')]
lay = c.execute('select id,name from layouts').fetchall()
for s in ['g2', 'g3', 'g4', 'g5', 'g6', 'g7']:
    o = sqlite3.connect('/tmp/s2r-w/logs/%s/log/decisions.db' % s)
    assert o.execute('select id,name from layouts').fetchall() == lay
    rows = o.execute('select %s from decisions order by id' % ','.join(cols[1:])).fetchall()
    c.executemany('insert into decisions(%s) values(%s)' % (','.join(cols[1:]), ','.join('?' * len(cols[1:]))), rows)
c.commit()
print(c.execute('select count(*) from decisions').fetchone())
# then: edgeagent calibrate --from-log /tmp/s2r-w/merged-g.db --out cal-g.json --client-cap 8
