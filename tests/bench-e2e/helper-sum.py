#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum make bench-helper's traces (tests/bench-e2e/helper-guest.sh): for each
trace-ROUTER-PROTO-ROUND.txt (function_graph, the router's help() entry
points only) the help() calls, their durations, and the messages the sender
sent and the sink received. Writes helper.csv into DIR and prints Markdown:
ns in help() per message sent (median and range over rounds), ns per call,
the ratio sipalg/sip with the 0.7x target (printed, never asserted), and the
instrument check: spinN - spin0 per call against the N ns of the spin,
and the monitor's cost per message against the build without it (nomon):
production with nobody listening (sipalg, target below 2%) and with
`sipalgctl monitor` listening (sipalg-mon, printed), per round and median.

    helper-sum.py DIR [SPIN_NS]
"""
import os
import re
import statistics
import sys

# " 0)   2.345 us    |  sip_help_udp [nf_conntrack_sip]();" (the module's
# name only on some kernels; a mark such as "+" or "!" before long ones)
DUR = re.compile(r'(\d+(?:\.\d+)?) us\s*\|\s*(\w+)(?: \[\w+\])?\(\);')
NAME = re.compile(r'^trace-([\w-]+)-(udp|tcp)-(\d+)\.txt$')
SENT = re.compile(r'^send \w+ sent (\d+)')
RECV = re.compile(r'^sink \w+ received (\d+)')
LOST = re.compile(r'entries-in-buffer/entries-written: (\d+)/(\d+)')
EVENTS = re.compile(r'^(\d+)$')
# the monitor's cost without a listener, most of the production build's
# ns per message over the nomon build's (issue 14)
MON_TARGET_PCT = 2.0


def first(path, rx):
    try:
        for line in open(path, errors='replace'):
            m = rx.search(line)
            if m:
                return m
    except OSError:
        pass
    return None


def parse(path):
    durs, lost = [], False
    for line in open(path, errors='replace'):
        m = DUR.search(line)
        if m:
            durs.append(float(m.group(1)) * 1000.0)
            continue
        m = LOST.search(line)
        if m and m.group(1) != m.group(2):
            lost = True
    return durs, lost


def med(v):
    return statistics.median(v) if v else float('nan')


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    spin = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    rows = []
    for f in sorted(os.listdir(d)):
        m = NAME.match(f)
        if not m:
            continue
        r, proto, rnd = m.group(1), m.group(2), int(m.group(3))
        tag = f'{r}-{proto}-{rnd}'
        durs, lost = parse(os.path.join(d, f))
        s = first(os.path.join(d, f'send-{tag}.txt'), SENT)
        k = os.path.join(d, f'sink-{tag}.txt')
        g = first(k, RECV)
        reset = bool(first(k, re.compile(r' reset')))
        sent = int(s.group(1)) if s else 0
        recv = int(g.group(1)) if g else 0
        e = first(os.path.join(d, f'mon-{tag}.txt'), EVENTS)
        rows.append(dict(router=r, proto=proto, round=rnd, sent=sent, received=recv,
                         reset=reset, calls=len(durs), lost=lost,
                         events=int(e.group(1)) if e else -1,
                         total_ns=sum(durs), call_med_ns=med(durs),
                         per_msg_ns=sum(durs) / sent if sent else float('nan')))
    with open(os.path.join(d, 'helper.csv'), 'w') as o:
        keys = list(rows[0].keys()) if rows else []
        o.write(','.join(keys) + '\n')
        for x in rows:
            o.write(','.join(f'{x[k]:.1f}' if isinstance(x[k], float) else str(x[k])
                             for k in keys) + '\n')

    def sel(r, p):
        return [x for x in rows if x['router'] == r and x['proto'] == p]

    print('| proto | router | rounds | sent/round | received/round | help() calls/msg | '
          'ns per message, median (range) | ns per call, median | notes |')
    print('|---|---|---|---|---|---|---|---|---|')
    routers = ['sipalg', 'sip', 'spin0', 'spinN', 'nomon', 'sipalg-mon']
    for p in ('udp', 'tcp'):
        for r in routers:
            v = sel(r, p)
            if not v:
                continue
            pm = [x['per_msg_ns'] for x in v]
            sent = sum(x['sent'] for x in v) / len(v)
            recv = sum(x['received'] for x in v) / len(v)
            cpm = sum(x['calls'] for x in v) / max(1, sum(x['sent'] for x in v))
            notes = []
            n_reset = sum(x['reset'] for x in v)
            if n_reset:
                notes.append(f'{n_reset} of {len(v)} rounds reset')
            short = sum(x['received'] < x['sent'] or x['sent'] == 0 for x in v)
            if short:
                notes.append(f'{short} rounds lost messages')
            if any(x['lost'] for x in v):
                notes.append('trace buffer overran')
            ev = [x['events'] for x in v if x['events'] >= 0]
            if ev:
                notes.append(f'monitor received {min(ev)}-{max(ev)} events/round')
            name = r if r != 'spinN' else f'spin{spin}'
            print(f'| {p} | {name} | {len(v)} | {sent:.0f} | {recv:.0f} | {cpm:.2f} | '
                  f'{med(pm):.0f} ({min(pm):.0f}-{max(pm):.0f}) | '
                  f'{med([x["call_med_ns"] for x in v]):.0f} | {"; ".join(notes)} |')
    print()
    for p in ('udp', 'tcp'):
        a, b = sel('sipalg', p), sel('sip', p)
        if not a or not b:
            continue
        ra = {x['round']: x for x in a}
        ratios = [ra[x['round']]['per_msg_ns'] / x['per_msg_ns'] for x in b
                  if x['round'] in ra and x['per_msg_ns'] > 0]
        calls = [ra[x['round']]['call_med_ns'] / x['call_med_ns'] for x in b
                 if x['round'] in ra and x['call_med_ns'] > 0]
        clean = all(x['received'] == x['sent'] and not x['reset'] for x in b)
        line = (f'{p}: sipalg/in-tree ns per message {med(ratios):.2f}x '
                f'(rounds {min(ratios):.2f}-{max(ratios):.2f}), per call (median) '
                f'{med(calls):.2f}x' if ratios and calls else f'{p}: no ratio')
        if p == 'udp':
            line += '; target <= 0.70x ' + ('met' if ratios and med(ratios) <= 0.7 else 'NOT MET')
        elif not clean:
            line += ('; NOT comparable: the in-tree helper did not pass every message '
                     '(see received/reset above)')
        print(line)
    print()
    for p in ('udp', 'tcp'):
        z, n = sel('spin0', p), sel('spinN', p)
        if not z or not n:
            continue
        rz = {x['round']: x for x in z}
        dc = [x['call_med_ns'] - rz[x['round']]['call_med_ns'] for x in n if x['round'] in rz]
        dm = [x['per_msg_ns'] - rz[x['round']]['per_msg_ns'] for x in n if x['round'] in rz]
        print(f'{p}: instrument check, spin {spin} ns per call: measured +{med(dc):.0f} ns per call '
              f'(rounds {min(dc):.0f}-{max(dc):.0f}), +{med(dm):.0f} ns per message '
              f'(rounds {min(dm):.0f}-{max(dm):.0f})')
    mon_lines = []
    for p in ('udp', 'tcp'):
        base = sel('nomon', p)
        if not base:
            continue
        rb = {x['round']: x for x in base}
        parts = []
        for r in ('nomon', 'sipalg', 'sipalg-mon'):
            v = sel(r, p)
            if not v:
                continue
            pm = [x['per_msg_ns'] for x in v]
            m = med(pm)
            spread = (max(pm) - min(pm)) / m * 100 if m > 0 else float('nan')
            parts.append(f'{r} {m:.0f} ({min(pm):.0f}-{max(pm):.0f}, spread {spread:.2f}%)')
        mon_lines.append(f'{p}: monitor, ns per message median (range, spread (max-min)/median): '
                         + ', '.join(parts))
        for r, what in (('sipalg', 'without a listener'), ('sipalg-mon', 'with a listener')):
            v = [x for x in sel(r, p) if x['round'] in rb and rb[x['round']]['per_msg_ns'] > 0]
            if not v:
                continue
            pct = [(x['per_msg_ns'] / rb[x['round']]['per_msg_ns'] - 1) * 100 for x in v]
            line = (f'{p}: monitor {what} ({r} vs nomon): {med(pct):+.2f}% per message '
                    f'(rounds {min(pct):+.2f}% to {max(pct):+.2f}%)')
            if r == 'sipalg':
                line += (f'; target below {MON_TARGET_PCT:g}%: '
                         + ('met' if med(pct) < MON_TARGET_PCT else 'NOT MET'))
            else:
                ev = [x['events'] for x in v if x['events'] >= 0]
                sent = sum(x['sent'] for x in v) / len(v)
                line += (f'; events received per round {min(ev)}-{max(ev)} for {sent:.0f} sent'
                         if ev else '; events received: not recorded')
            mon_lines.append(line)
    if mon_lines:
        print()
        print('\n'.join(mon_lines))


if __name__ == '__main__':
    main()
