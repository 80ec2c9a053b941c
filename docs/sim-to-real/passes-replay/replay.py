#!/usr/bin/env python3
"""Replays a logged one-pass eval live sweep's machine drift under a multi-pass order.

For each report.json given (an `eval live` report with per-run `exec_time_factors`: each server's
measured execution time over the calibration's size lines in that run), the runs are the sweep's
time slots in preference order (one pass, forward). A server's factor at a slot is the run's own, or,
where that run had too few requests there, interpolated linearly in time from the nearest runs
that had them (the machine's speed at that time, not the preference's). The replay then asks what
each preference's pooled factor would have been had the same span of time been walked in P passes
(forward, backward, ...: DemoComparison.RunOrderWithRepeats), each run 1/P as long: preference i
takes the slots i, 2n-1-i, 2n+i, ... of n*P equal slots, slot j lying in run floor(j / P).

The figure per server is the drift error of each preference's point relative to the sweep's mean
speed (factor / mean - 1): max |error| and its root mean square over the preferences. Caveat: the
run factors carry sampling noise as well as drift; averaging two independent noisy factors alone
shrinks their spread to about 1/sqrt(2) = 0.71 of it, while a real two-pass sweep with the same
requests per preference keeps the sampling noise. The control: the same replay of the same factors in
1000 random time orders (no drift, the same values), whose mean rms ratio is printed beside; only a
ratio clearly below the control's shows a systematic drift (a trend over the sweep) that the passes remove.
Usage: replay.py NAME=REPORT.json ... [--passes 2,4]
"""
import json
import math
import random
import sys


def fill(values):
    idx = [i for i, v in enumerate(values) if v is not None]
    if not idx:
        return None
    out = []
    for i, v in enumerate(values):
        if v is not None:
            out.append(v)
            continue
        lo = max([k for k in idx if k < i], default=None)
        hi = min([k for k in idx if k > i], default=None)
        if lo is None:
            out.append(values[hi])
        elif hi is None:
            out.append(values[lo])
        else:
            t = (i - lo) / (hi - lo)
            out.append(values[lo] + t * (values[hi] - values[lo]))
    return out


def pooled(f, passes):
    n = len(f)
    slots = []
    for p in range(passes):
        slots.append(list(range(n)) if p % 2 == 0 else list(reversed(range(n))))
    order = [k for s in slots for k in s]  # preference index at each of n*passes slots
    per = [[] for _ in range(n)]
    for j, k in enumerate(order):
        per[k].append(f[j // passes])
    return [sum(v) / len(v) for v in per]


def stats(errors):
    return max(abs(e) for e in errors), math.sqrt(sum(e * e for e in errors) / len(errors))


def main(argv):
    passes = [2, 4]
    items = []
    for a in argv:
        if a.startswith("--passes"):
            continue
        if "=" in a:
            items.append(a.split("=", 1))
    if "--passes" in argv:
        passes = [int(x) for x in argv[argv.index("--passes") + 1].split(",")]
        items = [i for i in items if i[0] != argv[argv.index("--passes") + 1]]
    print("| sweep | server | runs measured | one pass: max / rms drift error | " + " | ".join(f"{p} passes: max / rms (rms ratio; control)" for p in passes) + " |")
    print("|---|---|---|---|" + "---|" * len(passes))
    rng = random.Random(1)
    controls = {p: [] for p in passes}
    totals = {1: [], **{p: [] for p in passes}}
    for name, path in items:
        report = json.load(open(path))
        points = sorted(report["points"], key=lambda p: p["preference"])
        servers = sorted({k for p in points for k in p.get("exec_time_factors", {})})
        for server in servers:
            raw = [p.get("exec_time_factors", {}).get(server) for p in points]
            measured = sum(v is not None for v in raw)
            if measured < 3:
                continue
            f = fill(raw)
            mean = sum(f) / len(f)
            one = [v / mean - 1 for v in f]
            m1, r1 = stats(one)
            totals[1].extend(one)
            cells = []
            for p in passes:
                e = [v / mean - 1 for v in pooled(f, p)]
                totals[p].extend(e)
                mp, rp = stats(e)
                ratios = []
                for _ in range(1000):
                    g = f[:]
                    rng.shuffle(g)
                    e1 = [v / mean - 1 for v in g]
                    ep = [v / mean - 1 for v in pooled(g, p)]
                    ratios.append(stats(ep)[1] / stats(e1)[1] if stats(e1)[1] > 0 else 1)
                control = sum(ratios) / len(ratios)
                controls[p].append(control)
                cells.append(f"{mp:.3f} / {rp:.3f} ({rp / r1:.2f}; {control:.2f})" if r1 > 0 else f"{mp:.3f} / {rp:.3f}")
            print(f"| {name} | {server} | {measured} of {len(points)} | {m1:.3f} / {r1:.3f} | " + " | ".join(cells) + " |")
    m1, r1 = stats(totals[1])
    print(f"| all | all | {len(totals[1])} preference points | {m1:.3f} / {r1:.3f} | " + " | ".join(
        f"{stats(totals[p])[0]:.3f} / {stats(totals[p])[1]:.3f} ({stats(totals[p])[1] / r1:.2f}; {sum(controls[p]) / len(controls[p]):.2f})" for p in passes) + " |")
    for p in [1] + passes:
        beyond = sum(abs(e) > 0.05 for e in totals[p])
        print(f"{p} pass(es): {beyond} of {len(totals[p])} preference points with |drift error| > 5 %")


if __name__ == "__main__":
    main(sys.argv[1:])
