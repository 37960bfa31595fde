#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP peers for tests/e2e/t-33-tcp-field.sh: SIP over TCP written the way
field clients write it (a message in parts with pauses, thousands of
connections holding half a message, one write larger than 64 KiB, a message
filling one segment exactly), and a server that frames what arrives.

  tcpfield.py server --bind IP [--port 5060] --out PREFIX [--answer]
                     [--msgs N] [--timeout S] [--rcvbuf B]
      frames the SIP messages of every accepted connection by Content-Length,
      writes each to PREFIX.N and logs "msg N ...". With --msgs: exits 0 once
      N messages arrived, 1 at the timeout. --answer: 200 OK to whatever
      starts with a request line.
  tcpfield.py sink --bind IP [--port P]... [--timeout S]
      accepts everything on each port (default 5060), reads and discards
      (thousands of connections)
  tcpfield.py parts --bind IP --server IP:PORT --size N --parts A,B
                    --gaps S,S [--hold S]
      one OPTIONS of N bytes written in parts (cut at the byte offsets A,B)
      with the pauses between them (Nagle on, the socket's default)
  tcpfield.py many --bind IP --server IP:PORT[,IP:PORT...] --conns N --size N
                   --ctl PREFIX
      for each server in turn, once PREFIX.go.K exists: opens N connections
      that each send an unfinished header block of N bytes (no blank line)
      and stay open, writes "connected C acked A failed F" to PREFIX.ready.K
      once every block is acknowledged (or --timeout), resets them all once
      PREFIX.reset.K exists and writes PREFIX.done.K (SIGTERM: resets too)
  tcpfield.py big --bind IP --server IP:PORT --body N --sent FILE [--warmup N]
      N complete 1000-byte OPTIONS, one segment each, each acknowledged
      (the receiver's window grows), then one write of an OPTIONS with an
      N-byte body (4 MiB socket buffer, TCP_NODELAY)
  tcpfield.py split --bind IP --server IP:PORT --first N --sent FILE
                    (--go FILE | --pause S) [--go2 FILE]
      a REGISTER whose first N bytes end with "Contact:", the rest once the
      --go FILE exists (or S seconds later), then the 200 OK, then (once the
      --go2 FILE exists) an OPTIONS and its 200 OK; writes the REGISTER it
      sent to the --sent FILE and logs, before the rest, how many of the N
      bytes are not acknowledged (and what the --probe FILE reads then:
      the module's tcp_held)
  tcpfield.py mss --bind IP --sport P --server IP:PORT --count N --sent PREFIX
      N OPTIONS, each exactly one MSS long, each in its own write (and
      segment: TCP_NODELAY, the next once the last is acknowledged)

Every client exits 0 when its scenario completed, 1 otherwise.
"""
import argparse
import fcntl
import os
import re
import resource
import select
import signal
import socket
import struct
import sys
import termios
import time

T0 = time.time()


def log(*a):
    print("%6.2f" % (time.time() - T0), *a, flush=True)


def fam(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def hostport(ip, port):
    return ("[%s]" % ip if ":" in ip else ip) + ":%d" % port


def split_hp(s):
    m = re.match(r"^\[([^]]+)\]:(\d+)$", s) or re.match(r"^([^:]+):(\d+)$", s)
    return m.group(1), int(m.group(2))


def outq(s):
    """bytes not yet acknowledged by the other end"""
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def request(method, local, server, n=1, extra=(), body=b"", size=None,
            fromport=False):
    """a SIP request over TCP from local (ip, port) to server (ip, port),
    padded with an X-Pad header to exactly size bytes when size is given"""
    lhp = hostport(*local)
    shp = hostport(*server)
    lhost = lhp.rsplit(":", 1)[0]
    hdrs = [
        "%s sip:service@%s SIP/2.0" % (method, shp),
        "Via: SIP/2.0/TCP %s;branch=z9hG4bK-t33-%d-%d;rport" % (lhp, os.getpid(), n),
        "Max-Forwards: 70",
        "From: <sip:alice@%s>;tag=t33-%d" % (lhp if fromport else lhost, n),
        "To: <sip:service@%s>" % shp,
        "Call-ID: t33-%d-%d@%s" % (os.getpid(), n, lhost),
        "CSeq: %d %s" % (n, method),
        "Contact: <sip:alice@%s;transport=tcp>" % lhp,
    ] + list(extra)
    tail = "Content-Length: %d\r\n\r\n" % len(body)
    msg = "\r\n".join(hdrs) + "\r\n"
    if size is not None:
        pad = size - len(msg) - len(tail) - len(body) - len("X-Pad: \r\n")
        if pad < 0:
            raise ValueError("message longer than %d bytes" % size)
        msg += "X-Pad: " + "p" * pad + "\r\n"
    out = (msg + tail).encode() + body
    assert size is None or len(out) == size, (len(out), size)
    return out


def frame(buf):
    """(end of the first complete message, leading CRLFs) or (None, 0)"""
    lead = 0
    while buf.startswith(b"\r\n", lead):
        lead += 2
    i = buf.find(b"\r\n\r\n", lead)
    if i < 0:
        return None, lead
    m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", buf[lead:i])
    end = i + 4 + (int(m.group(1)) if m else 0)
    return (end, lead) if len(buf) >= end else (None, lead)


def header(msg, name):
    m = re.search(rb"(?im)^" + name.encode() + rb"[ \t]*:[ \t]*([^\r\n]*)", msg)
    return m.group(1).decode("latin-1") if m else None


def reply200(req):
    """200 OK to a request, its Via, From, To, Call-ID and CSeq copied"""
    head = req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    keep = [h for h in head[1:]
            if re.match(rb"(?i)(via|v|from|f|to|t|call-id|i|cseq)[ \t]*:", h)]
    return b"\r\n".join([b"SIP/2.0 200 OK"] + keep + [b"Content-Length: 0", b"", b""])


def read_msg(s, buf, timeout):
    """the next complete message on s: (msg, rest) or (None, buf)"""
    end = time.time() + timeout
    while True:
        e, lead = frame(buf)
        if e is not None:
            return buf[lead:e], buf[e:]
        left = end - time.time()
        if left <= 0:
            return None, buf
        r, _, _ = select.select([s], [], [], left)
        if r:
            try:
                d = s.recv(65536)
            except OSError as x:
                log("recv: %s" % x)
                return None, buf
            if not d:
                log("connection closed by the other end")
                return None, buf
            buf += d


# ------------------------------------------------------------------ server

def server(a):
    ls = socket.socket(fam(a.bind), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    ls.bind((a.bind, a.port))
    ls.listen(16)
    conns = {}
    got = 0
    total = 0
    first = None
    end = time.time() + a.timeout
    raw = open(a.out + ".raw", "wb")
    while time.time() < end and (not a.msgs or got < a.msgs):
        r, _, _ = select.select([ls] + list(conns), [], [], min(0.5, max(0, end - time.time())))
        for s in r:
            if s is ls:
                c, peer = ls.accept()
                conns[c] = b""
                if first is None:
                    first = time.time()
                log("accepted %s" % hostport(peer[0], peer[1]))
                continue
            try:
                d = s.recv(262144)
            except OSError as x:
                log("recv: %s" % x)
                d = b""
            if not d:
                log("connection closed, %d bytes unframed" % len(conns[s]))
                del conns[s]
                s.close()
                continue
            total += len(d)
            raw.write(d)
            raw.flush()
            buf = conns[s] + d
            while True:
                e, lead = frame(buf)
                if e is None:
                    break
                m, buf = buf[lead:e], buf[e:]
                got += 1
                with open("%s.%d" % (a.out, got), "wb") as f:
                    f.write(m)
                start = m.split(b"\r\n", 1)[0].decode("latin-1")
                log("msg %d: %d bytes, %.2f s after accept: %s" % (
                    got, len(m), time.time() - first, start))
                for h in ("Via", "Contact"):
                    log("  %s: %s" % (h, header(m, h)))
                if a.answer and re.match(rb"[A-Z]+ \S+ SIP/2\.0\r\n", m):
                    s.sendall(reply200(m))
            conns[s] = buf
    log("%d messages, %d bytes received" % (got, total))
    if a.msgs and got < a.msgs:
        log("FAIL: %d of %d messages after %.1f s" % (got, a.msgs, a.timeout))
        return 1
    # let the last answer leave before the sockets close
    time.sleep(0.5)
    return 0


def sink(a):
    resource.setrlimit(resource.RLIMIT_NOFILE, (16384, 16384))
    ep = select.epoll()
    lsocks = {}
    for port in a.port or [5060]:
        ls = socket.socket(fam(a.bind), socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.bind, port))
        ls.listen(4096)
        ls.setblocking(False)
        ep.register(ls.fileno(), select.EPOLLIN)
        lsocks[ls.fileno()] = ls
    conns = {}
    nbytes = 0
    shown = 0
    end = time.time() + a.timeout
    while time.time() < end:
        for fd, _ in ep.poll(0.5):
            if fd in lsocks:
                while True:
                    try:
                        c, _ = lsocks[fd].accept()
                    except BlockingIOError:
                        break
                    c.setblocking(False)
                    conns[c.fileno()] = c
                    ep.register(c.fileno(), select.EPOLLIN)
                continue
            c = conns.get(fd)
            try:
                d = c.recv(65536)
            except (BlockingIOError, ConnectionError):
                continue
            if not d:
                ep.unregister(fd)
                del conns[fd]
                c.close()
            nbytes += len(d)
        if time.time() - shown >= 2:
            shown = time.time()
            log("sink: %d connections open, %d bytes read" % (len(conns), nbytes))
    return 0


# ----------------------------------------------------------------- clients

def connect(a, nodelay=False, sport=0, sndbuf=0):
    dst = split_hp(a.server)
    s = socket.socket(fam(a.bind), socket.SOCK_STREAM)
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if sndbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    s.bind((a.bind, sport))
    s.settimeout(10)
    s.connect(dst)
    s.settimeout(None)
    return s, s.getsockname()[:2], dst


def tcp_info(s):
    """congestion window, slow-start threshold, srtt (us), retransmissions"""
    b = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    rtt, _, ssthresh, cwnd = struct.unpack_from("4I", b, 68)
    retrans = struct.unpack_from("I", b, 100)[0]
    return "cwnd %d ssthresh %d srtt %d us retransmitted %d" % (cwnd, ssthresh, rtt, retrans)


def wait_acked(s, timeout):
    end = time.time() + timeout
    while outq(s) and time.time() < end:
        time.sleep(0.01)
    return outq(s)


def parts(a):
    s, local, dst = connect(a)
    msg = request("OPTIONS", local, dst, size=a.size)
    cuts = [0] + [int(x) for x in a.parts.split(",")] + [len(msg)]
    gaps = [float(x) for x in a.gaps.split(",")] + [0]
    for i in range(len(cuts) - 1):
        s.sendall(msg[cuts[i]:cuts[i + 1]])
        log("wrote bytes %d-%d" % (cuts[i], cuts[i + 1]))
        time.sleep(gaps[i])
    left = wait_acked(s, a.hold)
    log("%d bytes not acknowledged after %.1f s" % (left, a.hold))
    s.close()
    return 0


def many_round(a, dst, ready):
    """open a.conns connections to dst, each with its unfinished block"""
    ep = select.epoll()
    socks = []
    failed = 0
    for b in range(0, a.conns, a.batch):
        pending = {}
        for i in range(b, min(b + a.batch, a.conns)):
            s = socket.socket(fam(a.bind), socket.SOCK_STREAM)
            s.setblocking(False)
            s.bind((a.bind, 0))
            s.connect_ex(dst)
            pending[s.fileno()] = s
            ep.register(s.fileno(), select.EPOLLOUT)
        end = time.time() + 15
        while pending and time.time() < end:
            for fd, _ in ep.poll(0.5):
                s = pending.pop(fd)
                ep.unregister(fd)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    failed += 1
                    s.close()
                else:
                    socks.append(s)
        for s in pending.values():
            failed += 1
            ep.unregister(s.fileno())
            s.close()
    ep.close()
    log("%s: connected %d, failed %d" % (hostport(*dst), len(socks), failed))
    # each sends its header block, unfinished: no blank line at its end
    tail = b"Content-Length: 0\r\n\r\n"
    for n, s in enumerate(socks):
        block = request("REGISTER", s.getsockname()[:2], dst, n=n + 1,
                        size=a.size + len(tail))
        assert block.endswith(tail)
        block = block[:-len(tail)]
        off = 0
        t_end = time.time() + 10
        while off < len(block) and time.time() < t_end:
            try:
                off += s.send(block[off:])
            except BlockingIOError:
                time.sleep(0.01)
        if off < len(block):
            log("connection %d: %d of %d bytes written" % (n, off, len(block)))
    log("wrote %d bytes on each of %d connections" % (a.size, len(socks)))
    end = time.time() + a.timeout
    while time.time() < end and any(outq(s) for s in socks):
        time.sleep(0.2)
    acked = sum(1 for s in socks if not outq(s))
    log("acked %d of %d" % (acked, len(socks)))
    with open(ready + ".tmp", "w") as f:
        f.write("connected %d acked %d failed %d\n" % (len(socks), acked, failed))
    os.rename(ready + ".tmp", ready)
    return socks


def many_reset(socks):
    """close with a reset: no TIME_WAIT left behind"""
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    log("reset %d connections" % len(socks))


def many(a):
    resource.setrlimit(resource.RLIMIT_NOFILE, (a.conns + 256, a.conns + 256))
    socks = []

    def stop(*_):
        many_reset(socks)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    # one round per server: it starts once PREFIX.go.K exists; once
    # PREFIX.reset.K exists its connections are reset, then PREFIX.done.K
    # is written
    for n, server in enumerate(a.server.split(","), 1):
        wait_file("%s.go.%d" % (a.ctl, n), a.hold)
        socks[:] = many_round(a, split_hp(server), "%s.ready.%d" % (a.ctl, n))
        wait_file("%s.reset.%d" % (a.ctl, n), a.hold)
        many_reset(socks)
        socks[:] = []
        open("%s.done.%d" % (a.ctl, n), "w").close()
    return 0


def wait_file(path, timeout):
    end = time.time() + timeout
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.05)


def big(a):
    s, local, dst = connect(a, nodelay=True, sndbuf=4 << 20)
    # complete messages first: the receiver's window grows past twice the
    # big write (the sender cuts its writes at half the largest window seen)
    for n in range(1, a.warmup + 1):
        s.sendall(request("OPTIONS", local, dst, n=n, size=1000))
        if wait_acked(s, 10):
            log("FAIL: warm-up message %d not acknowledged" % n)
            return 1
    log("%d warm-up messages of 1000 bytes acknowledged: %s" % (a.warmup, tcp_info(s)))
    body = bytes((0x41 + i % 26) for i in range(a.body))
    msg = request("OPTIONS", local, dst, n=a.warmup + 1, body=body,
                  extra=["Content-Type: text/plain"])
    with open(a.sent, "wb") as f:
        f.write(msg)
    s.sendall(msg)
    log("wrote %d bytes in one write, mss %d" % (len(msg),
        s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)))
    left = wait_acked(s, a.timeout)
    log("%d bytes not acknowledged: %s" % (left, tcp_info(s)))
    time.sleep(0.5)
    s.close()
    return 0 if not left else 1


def split(a):
    s, local, dst = connect(a, nodelay=True)
    msg = request("REGISTER", local, dst, extra=["Expires: 600"])
    # a pad header before Contact, so that "Contact:" ends at byte a.first
    cut = msg.index(b"Contact:")
    need = a.first - cut - len(b"Contact:") - len(b"X-Pad: \r\n")
    if need < 0:
        raise ValueError("--first %d is too short" % a.first)
    msg = msg[:cut] + b"X-Pad: " + b"q" * need + b"\r\n" + msg[cut:]
    assert msg[:a.first].endswith(b"Contact:"), msg[:a.first]
    with open(a.sent, "wb") as f:
        f.write(msg)
    s.sendall(msg[:a.first])
    log("sent the first %d bytes (up to Contact:)" % a.first)
    if a.go:
        while not os.path.exists(a.go):
            time.sleep(0.05)
    else:
        time.sleep(a.pause)
    held = "-"
    if a.probe:
        try:
            with open(a.probe) as f:
                held = f.read().strip()
        except OSError:
            pass
    log("%d bytes not acknowledged before the rest, %s %s: %s" % (
        outq(s), os.path.basename(a.probe or "-"), held, tcp_info(s)))
    s.sendall(msg[a.first:])
    log("sent the rest, %d bytes" % (len(msg) - a.first))
    ok = True
    r, buf = read_msg(s, b"", a.timeout)
    if r is None or not r.startswith(b"SIP/2.0 200"):
        log("FAIL: no 200 OK to the REGISTER within %.0f s: %s" % (a.timeout, tcp_info(s)))
        return 1
    log("got %s to the REGISTER: %s" % (r.split(b"\r\n", 1)[0].decode(), tcp_info(s)))
    if a.go2:
        while not os.path.exists(a.go2):
            time.sleep(0.05)
    s.sendall(request("OPTIONS", local, dst, n=2))
    log("sent an OPTIONS")
    r, buf = read_msg(s, buf, a.timeout)
    if r is None or not r.startswith(b"SIP/2.0 200"):
        log("FAIL: no 200 OK to the OPTIONS within %.0f s: %s" % (a.timeout, tcp_info(s)))
        ok = False
    else:
        log("got %s to the OPTIONS" % r.split(b"\r\n", 1)[0].decode())
    s.close()
    return 0 if ok else 1


def mss(a):
    s, local, dst = connect(a, nodelay=True, sport=a.sport)
    m = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
    log("connected from %s, mss %d" % (hostport(*local), m))
    for n in range(1, a.count + 1):
        # the private address:port in Via, From and Contact (twice)
        msg = request("OPTIONS", local, dst, n=n, size=m, fromport=True,
                      extra=["Contact: <sip:bob@%s;transport=tcp>" % hostport(*local)])
        with open("%s.%d" % (a.sent, n), "wb") as f:
            f.write(msg)
        t = time.time()
        s.send(msg)
        left = wait_acked(s, 10)
        log("msg %d: %d bytes in one write, %s after %.2f s" % (
            n, len(msg), "acknowledged" if not left else "%d bytes unacknowledged" % left,
            time.time() - t))
        if left:
            return 1
        time.sleep(0.3)
    log("all acknowledged: %s" % tcp_info(s))
    time.sleep(0.5)
    s.close()
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sv = sub.add_parser("server")
    sv.add_argument("--bind", required=True)
    sv.add_argument("--port", type=int, default=5060)
    sv.add_argument("--out", required=True)
    sv.add_argument("--answer", action="store_true")
    sv.add_argument("--msgs", type=int, default=0)
    sv.add_argument("--timeout", type=float, default=30)
    sv.add_argument("--rcvbuf", type=int, default=0)
    sk = sub.add_parser("sink")
    sk.add_argument("--bind", required=True)
    sk.add_argument("--port", type=int, action="append")
    sk.add_argument("--timeout", type=float, default=300)
    for name in ("parts", "many", "big", "split", "mss"):
        c = sub.add_parser(name)
        c.add_argument("--bind", required=True)
        c.add_argument("--server", required=True)
        c.add_argument("--timeout", type=float, default=20)
        if name == "parts":
            c.add_argument("--size", type=int, required=True)
            c.add_argument("--parts", required=True)
            c.add_argument("--gaps", required=True)
            c.add_argument("--hold", type=float, default=10)
        elif name == "many":
            c.add_argument("--conns", type=int, required=True)
            c.add_argument("--size", type=int, required=True)
            c.add_argument("--batch", type=int, default=250)
            c.add_argument("--ctl", required=True)
            c.add_argument("--hold", type=float, default=300)
        elif name == "big":
            c.add_argument("--body", type=int, required=True)
            c.add_argument("--sent", required=True)
            c.add_argument("--warmup", type=int, default=40)
        elif name == "split":
            c.add_argument("--first", type=int, required=True)
            c.add_argument("--sent", required=True)
            g = c.add_mutually_exclusive_group(required=True)
            g.add_argument("--go")
            g.add_argument("--pause", type=float)
            c.add_argument("--go2")
            c.add_argument("--probe")
        elif name == "mss":
            c.add_argument("--sport", type=int, default=0)
            c.add_argument("--count", type=int, default=3)
            c.add_argument("--sent", required=True)
    a = p.parse_args()
    return globals()[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
