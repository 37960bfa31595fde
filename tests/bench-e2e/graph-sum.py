#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sum a function_graph trace (bench-guest.sh, SIPALG_BENCH_GRAPH=FUNC) per
function and depth: calls, total, mean and median microseconds, and the share of the
traced root's time. The tracer's own cost is in every figure (each traced
call costs about the same), so compare shares and counts, not absolutes.

    graph-sum.py graph-sipalg-tcp-1.txt [MESSAGES]
"""
import re
import sys

LINE = re.compile(r'^\s*\d+\)\s+(?:[+!#*@$]\s*)?(?:(\d+\.\d+) us\s+)?\|\s(\s*)(.*)$')


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    msgs = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    stack = []  # (name, depth)
    tot = {}
    for raw in open(sys.argv[1], errors='replace'):
        m = LINE.match(raw)
        if not m:
            continue
        dur, indent, body = m.group(1), m.group(2), m.group(3).strip()
        if body.endswith('{'):
            name = body[:-1].strip().rstrip('()').split(' [')[0]
            stack.append(name)
            continue
        if body.startswith('}'):
            if not stack or dur is None:
                stack = stack[:-1]
                continue
            name = stack.pop()
            depth = len(stack)
        elif body.endswith(';'):
            if dur is None:
                continue
            name = body[:-1].strip().rstrip('()').split(' [')[0]
            depth = len(stack)
        else:
            continue
        key = (depth, '/'.join(stack[-1:]), name)
        tot.setdefault(key, []).append(float(dur))
    roots = [v for k, v in tot.items() if k[0] == 0]
    root_t = sum(sum(v) for v in roots) or 1.0
    root_c = sum(len(v) for v in roots)
    print(f'root calls {root_c}, total {root_t:.0f} us'
          + (f', {root_t / msgs:.2f} us per message ({msgs})' if msgs else ''))
    print(f'{"depth":>5} {"share":>6} {"calls":>8} {"total us":>10} {"mean us":>8} {"median":>8}  function (caller)')
    for (d, parent, name), v in sorted(tot.items(), key=lambda kv: -sum(kv[1])):
        t, c = sum(v), len(v)
        if t / root_t < 0.005:
            continue
        med = sorted(v)[c // 2]
        print(f'{d:>5} {100 * t / root_t:5.1f}% {c:>8} {t:>10.0f} {t / c:>8.2f} {med:>8.2f}  '
              f'{"  " * d}{name} ({parent or "-"})')


if __name__ == '__main__':
    main()
