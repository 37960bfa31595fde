#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a router benchmark run (tests/bench-e2e/bench-guest.sh) as
Markdown tables: report.py RESULTS_DIR (holding permsg.csv, scale.csv,
limits.txt). Prints to stdout."""
import csv
import os
import statistics
import sys

USER_HZ = 100  # /proc/stat ticks per second (USER_HZ on x86 Linux)
US_PER_TICK = 1e6 / USER_HZ


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def num(x):
    try:
        return int(x)
    except (TypeError, ValueError):
        return 0


def med(v):
    return statistics.median(v) if v else float('nan')


def spread(v, fmt):
    if not v:
        return '-'
    return (fmt + ' (' + fmt + '-' + fmt + ')') % (med(v), min(v), max(v))


def ratio(a, b):
    if not b or b != b or a != a:
        return '-'
    return '%.2f' % (a / b)


def permsg(res):
    data = rows(os.path.join(res, 'permsg.csv'))
    if not data:
        return
    runs = len({r['run'] for r in data})
    msgs = max(num(r['sent']) for r in data)
    print('## Per-message cost (%d runs of %d messages each; median (min-max))'
          % (runs, msgs))
    print()
    print('| proto | router | runs complete | received (min) | msgs/s | guest CPU us/msg |'
          ' kernel CPU us/msg |')
    print('|---|---|---|---|---|---|---|')
    helpers = []
    for r in data:
        if r['helper'] not in helpers:
            helpers.append(r['helper'])
    protos = []
    for r in data:
        if r['proto'] not in protos:
            protos.append(r['proto'])
    summ = {}
    for p in protos:
        for h in helpers:
            sel = [r for r in data if r['proto'] == p and r['helper'] == h]
            if not sel:
                continue
            recv = [num(r['received']) for r in sel]
            rate = [float(r['msgs_per_s'] or 0) for r in sel if num(r['received'])]
            busy = [num(r['busy_jiffies']) * US_PER_TICK / num(r['received'])
                    for r in sel if num(r['received'])]
            kern = [num(r['kernel_jiffies']) * US_PER_TICK / num(r['received'])
                    for r in sel if num(r['received'])]
            summ[(p, h)] = (med(rate), med(busy), med(kern))
            # complete: every message arrived, none garbled (a missing
            # column is an older CSV: nothing was checked)
            ok = sum(1 for r in sel if num(r['received']) >= num(r['sent']) > 0
                     and not num(r.get('garbled')))
            print('| %s | %s | %d/%d | %d | %s | %s | %s |' % (
                p, h, ok, len(sel), min(recv), spread(rate, '%.0f'),
                spread(busy, '%.1f'), spread(kern, '%.1f')))
    print()
    print('Ratios of the medians (c = sipalg, b = in-tree "sip", a = no helper);'
          ' "helper-only" subtracts the no-helper CPU first:')
    print()
    print('| proto | CPU/msg c/b | CPU/msg c/a | helper-only CPU/msg c/b |'
          ' msgs/s c/b | msgs/s c/a |')
    print('|---|---|---|---|---|---|')
    for p in protos:
        a = summ.get((p, 'none'))
        b = summ.get((p, 'sip'))
        c = summ.get((p, 'sipalg'))
        if not c:
            continue
        nan = (float('nan'),) * 3
        a = a or nan
        b = b or nan
        print('| %s | %s | %s | %s | %s | %s |' % (
            p, ratio(c[1], b[1]), ratio(c[1], a[1]),
            ratio(c[1] - a[1], b[1] - a[1]) if (b[1] - a[1]) > 0 else '-',
            ratio(c[0], b[0]), ratio(c[0], a[0])))
    print()
    # a monitor listening (sipalg-mon: `sipalgctl -j monitor` on the
    # router), against sipalg with nobody listening
    mon = [p for p in protos if summ.get((p, 'sipalg-mon')) and summ.get((p, 'sipalg'))]
    if mon:
        print('With `sipalgctl monitor` listening (m = sipalg-mon, c = sipalg):')
        print()
        print('| proto | CPU/msg m/c | msgs/s m/c |')
        print('|---|---|---|')
        for p in mon:
            m, c = summ[(p, 'sipalg-mon')], summ[(p, 'sipalg')]
            print('| %s | %s | %s |' % (p, ratio(m[1], c[1]), ratio(m[0], c[0])))
        print()


def scale(res):
    data = rows(os.path.join(res, 'scale.csv'))
    if not data:
        return
    reg = [r for r in data if r['kind'] == 'reg']
    call = [r for r in data if r['kind'] == 'call']
    if reg:
        print('## Registrations (N phones, one UDP socket each)')
        print()
        print('| N | router | registered | failed | conntrack entries |'
              ' expectations | "table full" kernel msgs | seconds |')
        print('|---|---|---|---|---|---|---|---|')
        for r in reg:
            print('| %s | %s | %s | %s | %s | %s | %s | %s |' % (
                r['n'], r['helper'], r['ok'], r['not_ok'], r['conntrack'],
                r['expectations'], r['table_full_msgs'], r['seconds']))
        print()
    if call:
        print('## Concurrent calls (M calls with SDP held open; tables read'
              ' at the peak)')
        print()
        print('| M | router | calls ok | failed | conntrack entries |'
              ' expectations (pinholes) | "table full" kernel msgs |'
              ' nf_conntrack* slab per call (B) | all slab per call (B) |'
              ' all slab per call minus no-helper (B) | seconds |')
        print('|---|---|---|---|---|---|---|---|---|---|---|')
        base = {r['n']: num(r['all_slab_kb']) for r in call
                if r['helper'] == 'none'}
        for r in call:
            m = max(num(r['n']), 1)
            allb = num(r['all_slab_kb']) * 1024 // m
            extra = '-'
            if r['helper'] != 'none' and r['n'] in base:
                extra = '%d' % ((num(r['all_slab_kb']) - base[r['n']]) * 1024 // m)
            print('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                r['n'], r['helper'], r['ok'], r['not_ok'], r['conntrack'],
                r['expectations'], r['table_full_msgs'],
                r['ct_slab_bytes_per_call'], allb, extra, r['seconds']))
        print()


def lgscale(res):
    data = rows(os.path.join(res, 'lgscale.csv'))
    if not data:
        return
    names = {'reg': 'registrations held', 'call': 'concurrent calls with SDP held'}
    for kind in ('reg', 'call'):
        sel = [r for r in data if r['kind'] == kind]
        if not sel:
            continue
        print('## siploadgen: %s (one UDP socket each; tables and memory read'
              ' at the peak)' % names[kind])
        print()
        print('| N | router | ok | failed | retransmissions | conntrack entries |'
              ' expectations | "table full" msgs | all slab per %s (B) |'
              ' minus no-helper (B) | guest MemAvailable before -> peak (MiB, of %s) |'
              ' generator s | s per 1000 |' % (
                  'phone' if kind == 'reg' else 'call',
                  '%d' % (num(sel[0]['mem_total_kb']) // 1024)))
        print('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
        base = {r['n']: num(r['all_slab_kb']) for r in sel if r['helper'] == 'none'}
        per = {}
        for r in sel:
            n = max(num(r['n']), 1)
            allb = num(r['all_slab_kb']) * 1024 // n
            extra = '-'
            if r['helper'] != 'none' and r['n'] in base:
                d = (num(r['all_slab_kb']) - base[r['n']]) * 1024 // n
                extra = '%d' % d
                per[(r['n'], r['helper'])] = d
            wall = float(r['gen_seconds'] or 0)
            print('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d -> %d | %.0f | %.2f |' % (
                r['n'], r['helper'], r['ok'], r['failed'], r['retrans'],
                r['conntrack'], r['expectations'], r['table_full_msgs'], allb,
                extra, num(r['mem_avail_before_kb']) // 1024,
                num(r['mem_avail_peak_kb']) // 1024, wall, wall * 1000 / n))
        print()
        for n in sorted({r['n'] for r in sel}, key=num):
            c, b = per.get((n, 'sipalg')), per.get((n, 'sip'))
            if c is not None and b is not None and (b <= 0 or c <= 0):
                # at small sizes the slab's own churn outweighs the items
                print('N = %s: memory per %s: no ratio, slab growth over no'
                      ' helper (sipalg %d B, in-tree %d B) is not above the noise'
                      % (n, 'phone' if kind == 'reg' else 'call', c, b))
            elif c is not None and b:
                print('N = %s: memory per %s minus no-helper, sipalg / in-tree: %s'
                      ' (target: at or under 1.00: %s)' % (
                          n, 'phone' if kind == 'reg' else 'call',
                          ratio(c, b), 'met' if c <= b else 'NOT MET'))
        for r in sel:
            ok = num(r['ok']) == num(r['n']) and num(r['failed']) == 0
            print('N = %s, %s: %s of %s, 0 failures target: %s' % (
                r['n'], r['helper'], r['ok'], r['n'], 'met' if ok else 'NOT MET'))
        print()


def main():
    res = sys.argv[1]
    lim = os.path.join(res, 'limits.txt')
    if os.path.exists(lim):
        print('Guest: ' + '; '.join(line.strip() for line in open(lim)))
        print()
    permsg(res)
    lgscale(res)
    scale(res)


if __name__ == '__main__':
    main()
