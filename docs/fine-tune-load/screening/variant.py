#!/usr/bin/env python3
"""Screening only: a candidate deployment's calibration, made from the 4 December edge calibration by
changing arrival rate and peers (rtt s, bw bit/s, speed x the board, concurrency). Not a fitted file."""
import json, sys, copy
base = json.load(open('/work/wt/s2r/docs/fine-tune-edge/calibration/calibration.json'))
def make(out, rate, peers, kind=None):
    d = copy.deepcopy(base)
    d['arrivals']['jobs_per_second'] = rate
    if kind: d['arrivals']['kind'] = kind
    tmpl = {p['name']: p for p in base['peers']}
    newpeers = []
    for m in d['models']:
        m['exec_at_mean_bytes_seconds'] = {'local': m['exec_at_mean_bytes_seconds']['local']}
        m['exec_seconds'] = {'local': m['exec_seconds']['local']} if 'local' in m['exec_seconds'] else {}
    for (name, rtt, bw, speed, conc) in peers:
        p = copy.deepcopy(tmpl['cloud'])
        p['name'] = name
        p['round_trip_seconds'] = rtt
        p['bits_per_second'] = p['uplink_bits_per_second'] = p['downlink_bits_per_second'] = bw
        p['speed'] = speed
        p['concurrency'] = conc
        for k in ('observed_round_trip_seconds',):
            q = p[k]; s = rtt / q['mean'] if q['mean'] > 0 else 1
            q['mean'] = rtt; q['quantiles'] = [x * s for x in q['quantiles']]
            if 'median' in q: q['median'] = q['median'] * s
        q = p['observed_bits_per_second']; s = bw / q['mean']; q['mean'] = bw; q['quantiles'] = [x * s for x in q['quantiles']]
        p['priced_round_trip_seconds'] = {k2: rtt for k2 in p['priced_round_trip_seconds']}
        for m in d['models']:
            m['exec_at_mean_bytes_seconds']['peer:' + name] = m['device_exec_seconds'] / speed
        newpeers.append(p)
    d['peers'] = newpeers
    d['notes'] = d['notes'] + ['SCREENING VARIANT (not fitted): rate %s, peers %s' % (rate, peers)]
    json.dump(d, open(out, 'w'), indent=1)
if __name__ == '__main__':
    spec = json.loads(sys.argv[2])
    make(sys.argv[1], spec['rate'], [tuple(p) for p in spec['peers']], spec.get('kind'))
