#!/usr/bin/env python3
# Overlap of collectives with compute in FLOWGRAD_TRACE files (one per worker):
#   FLOWGRAD_TRACE=/tmp/tr mpirun -np 2 --bind-to none flowgrad --threads 2 train bert ... --bucket-mb 1
#   python3 bench/trace_overlap.py /tmp/tr.0.json /tmp/tr.1.json
import json, sys
for path in sys.argv[1:]:
    ev = [e for e in json.load(open(path))['traceEvents'] if e.get('ph') == 'X']  # complete events (not metadata)
    ev.sort(key=lambda e: e['ts'])
    coll = [e for e in ev if '/allreduce' in e['name'] or '/allgather_rows' in e['name']]
    comp = [e for e in ev if e not in coll]
    steps = [e for e in ev if e['name'].endswith('increment')]
    # merge compute intervals
    iv = sorted((e['ts'], e['ts'] + e['dur']) for e in comp)
    merged = []
    for a, b in iv:
        if merged and a <= merged[-1][1]: merged[-1][1] = max(merged[-1][1], b)
        else: merged.append([a, b])
    def covered(a, b):
        return sum(max(0, min(b, y) - max(a, x)) for x, y in merged if y > a and x < b)
    comm = sum(e['dur'] for e in coll); ov = sum(covered(e['ts'], e['ts'] + e['dur']) for e in coll)
    grads = [e for e in comp if '/grad' in e['name']]
    during_bwd = sum(1 for c in coll if any(g['ts'] + g['dur'] > c['ts'] and g['ts'] < c['ts'] for g in grads if abs(g['ts'] - c['ts']) < 5e6))
    n = max(len(steps), 1)
    span = (ev[-1]['ts'] + ev[-1]['dur'] - ev[0]['ts'])
    print(f"{path}: {n} steps, {len(coll)} collectives; comm {comm/n/1e3:.1f} ms/step, "
          f"overlapped with compute {100*ov/max(comm,1):.0f}%; {during_bwd}/{len(coll)} collectives started while a backward node was running")
