#!/usr/bin/env python3
"""Screening only: a candidate deployment's calibration made from a fitted one (default: the demo cluster's
sweep of 5 December 07:59, this board) by changing the arrival rate and the peers (rtt s, bw bit/s, speed x
the board, slots). Each peer's times are the board's / its speed; link estimates scaled to the new link. Not a fit."""
import json, sys, copy
BASE = '/work/wt/s2r/docs/sim-to-real/prospective-0755/demo-calibration.json'
def make(out, rate, peers, base=BASE, cap=None):
    b = json.load(open(base)); d = copy.deepcopy(b)
    d['arrivals']['jobs_per_second'] = rate
    if cap is not None: d['arrivals']['client_max_in_flight'] = cap
    tmpl = {p['name']: p for p in b['peers']}['edge']
    for m in d['models']:
        m['exec_at_mean_bytes_seconds'] = {'local': m['exec_at_mean_bytes_seconds']['local']}
        m['exec_seconds'] = {k: v for k, v in m['exec_seconds'].items() if k == 'local'}
        if 'exec_size_slope' in m and isinstance(m['exec_size_slope'], dict):
            m['exec_size_slope'] = {k: v for k, v in m['exec_size_slope'].items() if k == 'local' or k.startswith('peer:edge')}
    newpeers = []
    for (name, rtt, bw, speed, conc) in peers:
        p = copy.deepcopy(tmpl); p['name'] = name
        p['round_trip_seconds'] = rtt
        p['bits_per_second'] = p['uplink_bits_per_second'] = p['downlink_bits_per_second'] = bw
        p['speed'] = speed; p['concurrency'] = conc; p['observed_exec_ratio'] = 1
        p['observed_exec_ratios'] = {k: 1 for k in p['observed_exec_ratios']}
        q = p['observed_round_trip_seconds']; s = rtt / q['mean'] if q['mean'] > 0 else 1
        q['mean'] = rtt; q['quantiles'] = [x * s for x in q['quantiles']]
        if 'median' in q: q['median'] *= s
        q = p['observed_bits_per_second']; s = bw / q['mean']; q['mean'] = bw; q['quantiles'] = [x * s for x in q['quantiles']]
        if 'median' in q: q['median'] *= s
        p['priced_round_trip_seconds'] = {k2: rtt for k2 in p['priced_round_trip_seconds']}
        for k in ('transfer_seconds', 'queue_seconds'): p.pop(k, None)
        for m in d['models']:
            m['exec_at_mean_bytes_seconds']['peer:' + name] = m['exec_at_mean_bytes_seconds']['local'] / speed
            if isinstance(m.get('exec_size_slope'), dict) and 'peer:edge' in m['exec_size_slope']:
                m['exec_size_slope']['peer:' + name] = m['exec_size_slope']['peer:edge']
        newpeers.append(p)
    for m in d['models']:
        if isinstance(m.get('exec_size_slope'), dict) and 'edge' not in [x[0] for x in peers]:
            m['exec_size_slope'].pop('peer:edge', None)
    d['peers'] = newpeers
    d['notes'] = d.get('notes', []) + ['SCREENING VARIANT (not fitted): rate %s, peers %s' % (rate, peers)]
    json.dump(d, open(out, 'w'), indent=1)
if __name__ == '__main__':
    spec = json.loads(sys.argv[2])
    make(sys.argv[1], spec['rate'], [tuple(p) for p in spec['peers']], spec.get('base', BASE), spec.get('cap'))
