#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A scriptable SIP peer for sipalg's end-to-end tests: the phone and server
quirks SIPp cannot play (a phone that sends from one port and listens on
another, a registrar that answers to the Via port, calls to a registered
phone, RTP and RTCP counted on both sides, re-INVITE to hold and back, TCP
messages split over segments or packed two in one).

  sippeer.py phone --bind IP [--sport P] [--listen P] --server IP:PORT
                   [--via H:P] [--rport] [--contact H:P] [--expires N]
                   [--tcp] [--split] [--pack] [--answer] [--call]
                   [--hold] [--media-port P] [--rtcp-attr]
  sippeer.py server --bind IP [--port 5060] [--tcp] [--respond via|source]
                   [--call-registered] [--answer] [--media-port P]
                   [--registers N] [--timeout S]

Each prints one line per event ("got REGISTER from ...", "rtp rx 20") and
exits 0 when its whole scenario succeeded, 1 otherwise.
"""
import argparse
import random
import re
import select
import socket
import sys
import time

RTP_COUNT = 20
SPLIT_PAUSE = 0.3
RTP_MIN = 10


def log(*a):
    print(*a, flush=True)


def rnd():
    return "%08x" % random.getrandbits(32)


def fam(ip):
    return socket.AF_INET6 if ":" in ip else socket.AF_INET


def hostport(ip, port):
    return ("[%s]" % ip if ":" in ip else ip) + ":%d" % port


def split_hp(s):
    m = re.match(r"^\[([^]]+)\](?::(\d+))?$", s) or re.match(r"^([^:]+)(?::(\d+))?$", s)
    if not m:
        raise ValueError(s)
    return m.group(1), int(m.group(2) or 5060)


class Msg:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition("\r\n\r\n")
        lines = head.split("\r\n")
        self.start = lines[0]
        self.hdrs = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            self.hdrs.append((k.strip(), v.strip()))
        parts = self.start.split(" ", 2)
        self.is_req = not self.start.startswith("SIP/2.0")
        self.method = parts[0] if self.is_req else None
        self.status = int(parts[1]) if not self.is_req else 0

    def get(self, name, compact=None):
        for k, v in self.hdrs:
            if k.lower() == name.lower() or (compact and k.lower() == compact):
                return v
        return None

    def all(self, name, compact=None):
        return [v for k, v in self.hdrs
                if k.lower() == name.lower() or (compact and k.lower() == compact)]

    def cseq_method(self):
        return (self.get("CSeq") or " ").split()[-1]

    def sdp_media(self):
        """(ip, port, rtcp port) of the first audio stream"""
        ip = None
        port = None
        rtcp = None
        for ln in self.body.split("\r\n"):
            if ln.startswith("c=IN "):
                ip = ln.split()[2]
            elif ln.startswith("m=audio "):
                port = int(ln.split()[1])
            elif ln.startswith("a=rtcp:"):
                rtcp = int(ln[7:].split()[0])
        if port is None:
            return None
        return ip, port, rtcp if rtcp else port + 1


def frame(buf):
    """split one message off a TCP byte string: (msg, rest) or (None, buf)"""
    while buf.startswith(b"\r\n"):
        buf = buf[2:]
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        return None, buf
    head = buf[:i].decode("latin-1")
    m = re.search(r"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
    clen = int(m.group(1)) if m else 0
    end = i + 4 + clen
    if len(buf) < end:
        return None, buf
    return Msg(buf[:end].decode("latin-1")), buf[end:]


def build(start, hdrs, body=""):
    out = start + "\r\n"
    for k, v in hdrs:
        out += "%s: %s\r\n" % (k, v)
    out += "Content-Length: %d\r\n\r\n" % len(body.encode())
    return out + body


def sdp(ip, port, direction=None, rtcp_attr=False):
    t = "IP6" if ":" in ip else "IP4"
    s = "v=0\r\no=- 1 %d IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n" % (
        random.randint(1, 1000), t, ip, t, ip)
    s += "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % port
    if rtcp_attr:
        s += "a=rtcp:%d\r\n" % (port + 1)
    if direction:
        s += "a=%s\r\n" % direction
    return s


class Transport:
    """UDP: one send socket (plus an optional listen socket); TCP: one
    connection (client) or accepted connections (server)"""

    def __init__(self, tcp, bind, sport, listen=None, server=False):
        self.tcp = tcp
        self.f = fam(bind)
        self.bind = bind
        self.socks = []
        self.bufs = {}
        self.conn = None
        self.lsock = None
        if tcp:
            if server:
                self.lsock = socket.socket(self.f, socket.SOCK_STREAM)
                self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self.lsock.bind((bind, sport))
                self.lsock.listen(8)
            self.sport = sport
            return
        s = socket.socket(self.f, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((bind, sport))
        self.sport = s.getsockname()[1]
        self.socks.append(s)
        if listen and listen != self.sport:
            ls = socket.socket(self.f, socket.SOCK_DGRAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((bind, listen))
            self.socks.append(ls)

    def connect(self, dst):
        s = socket.socket(self.f, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind((self.bind, self.sport))
        s.connect(dst)
        self.sport = s.getsockname()[1]
        self.conn = s
        self.socks.append(s)
        self.bufs[s] = b""

    def send(self, data, dst=None, sock=None, split=False):
        b = data.encode() if isinstance(data, str) else data
        if self.tcp:
            c = sock or self.conn
            if split:
                cut = len(b) // 2
                c.sendall(b[:cut])
                time.sleep(SPLIT_PAUSE)
                c.sendall(b[cut:])
            else:
                c.sendall(b)
            return
        (sock or self.socks[0]).sendto(b, dst)

    def recv(self, timeout):
        """next message: (Msg, source address, socket) or None"""
        end = time.time() + timeout
        while True:
            for s in list(self.bufs):
                m, rest = frame(self.bufs[s])
                if m:
                    self.bufs[s] = rest
                    return m, s.getpeername(), s
            left = end - time.time()
            if left <= 0:
                return None
            rl = list(self.socks) + ([self.lsock] if self.lsock else [])
            r, _, _ = select.select(rl, [], [], left)
            for s in r:
                if s is self.lsock:
                    c, _ = s.accept()
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.socks.append(c)
                    self.bufs[c] = b""
                    if not self.conn:
                        self.conn = c
                    continue
                if self.tcp:
                    d = s.recv(65536)
                    if not d:
                        self.socks.remove(s)
                        del self.bufs[s]
                        continue
                    self.bufs[s] += d
                    continue
                d, a = s.recvfrom(65536)
                if not d.strip():
                    continue
                return Msg(d.decode("latin-1")), a, s


def wait_for(t, pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        got = t.recv(end - time.time())
        if not got:
            break
        m, a, s = got
        log("got %s from %s" % (m.start, hostport(a[0], a[1])))
        if pred(m):
            return got
    log("timeout waiting for %s" % what)
    return None


class Media:
    """RTP and RTCP sockets: send a burst to the peer, count what comes"""

    def __init__(self, ip, port):
        self.rtp = socket.socket(fam(ip), socket.SOCK_DGRAM)
        self.rtp.bind((ip, port))
        self.rtcp = socket.socket(fam(ip), socket.SOCK_DGRAM)
        self.rtcp.bind((ip, port + 1))
        self.rx = 0
        self.rx_rtcp = 0

    def exchange(self, peer_ip, peer_port, peer_rtcp, secs=3.0):
        """send RTP_COUNT packets (and a few RTCP) while receiving"""
        end = time.time() + secs
        sent = 0
        while time.time() < end:
            if sent < RTP_COUNT:
                hdr = bytes([0x80, 0x00]) + sent.to_bytes(2, "big") + bytes(8)
                self.rtp.sendto(hdr + bytes(160), (peer_ip, peer_port))
                if sent % 5 == 0:
                    self.rtcp.sendto(bytes([0x81, 0xc8, 0, 6]) + bytes(24),
                                     (peer_ip, peer_rtcp))
                sent += 1
            r, _, _ = select.select([self.rtp, self.rtcp], [], [], 0.05)
            for s in r:
                s.recvfrom(2048)
                if s is self.rtp:
                    self.rx += 1
                else:
                    self.rx_rtcp += 1
        log("rtp rx %d rtcp rx %d" % (self.rx, self.rx_rtcp))
        return self.rx >= RTP_MIN and self.rx_rtcp >= 1


def reply(req, code, text, extra=(), body=""):
    hdrs = [("Via", v) for v in req.all("Via", "v")]
    to = req.get("To", "t")
    if ";tag=" not in to:
        to += ";tag=" + rnd()
    hdrs += [("From", req.get("From", "f")), ("To", to),
             ("Call-ID", req.get("Call-ID", "i")), ("CSeq", req.get("CSeq"))]
    hdrs += list(extra)
    if body:
        hdrs.append(("Content-Type", "application/sdp"))
    return build("SIP/2.0 %d %s" % (code, text), hdrs, body)


# ---------------------------------------------------------------- phone

def phone(a):
    sip, sport = split_hp(a.server)
    t = Transport(a.tcp, a.bind, a.sport, a.listen)
    dst = (sip, sport)
    if a.tcp:
        t.connect(dst)
    via = a.via or hostport(a.bind, t.sport)
    contact = a.contact or via
    proto = "TCP" if a.tcp else "UDP"
    ok = True
    user = "phone"
    cid = rnd() + "@" + a.bind
    ftag = rnd()
    cseq = 1

    def register(expires):
        nonlocal cseq
        hdrs = [("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s%s" % (proto, via, rnd(), ";rport" if a.rport else "")),
                ("Max-Forwards", "70"),
                ("From", "<sip:%s@%s>;tag=%s" % (user, sip if ":" not in sip else "[%s]" % sip, ftag)),
                ("To", "<sip:%s@%s>" % (user, sip if ":" not in sip else "[%s]" % sip)),
                ("Call-ID", cid), ("CSeq", "%d REGISTER" % cseq),
                ("Contact", "<sip:%s@%s%s>" % (user, contact, ";transport=tcp" if a.tcp else "")),
                ("Expires", str(expires))]
        cseq += 1
        msg = build("REGISTER sip:%s SIP/2.0" % hostport(sip, sport), hdrs)
        if a.pack:
            # an OPTIONS and the REGISTER in one segment
            opt = build("OPTIONS sip:%s SIP/2.0" % hostport(sip, sport),
                        [("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s" % (proto, via, rnd())),
                         ("Max-Forwards", "70"),
                         ("From", "<sip:%s@%s>;tag=%s" % (user, a.bind if ":" not in a.bind else "[%s]" % a.bind, rnd())),
                         ("To", "<sip:%s>" % hostport(sip, sport)),
                         ("Call-ID", rnd()), ("CSeq", "1 OPTIONS"),
                         ("Contact", "<sip:%s@%s>" % (user, contact))])
            msg = opt + msg
        t.send(msg, dst, split=a.split)
        got = wait_for(t, lambda m: not m.is_req and m.status >= 200 and m.cseq_method() == "REGISTER",
                       5, "200 to REGISTER")
        if not got:
            return False
        m = got[0]
        log("register status %d via %s" % (m.status, m.get("Via", "v")))
        return m.status == 200

    for i in range(3):
        if register(a.expires):
            break
    else:
        log("FAIL: no answer to REGISTER")
        return 1

    if a.call:
        ok = phone_call(a, t, dst, via, contact, proto, sip, sport) and ok
    if a.answer:
        ok = phone_answer(a, t, proto) and ok
    if a.unregister:
        ok = register(0) and ok
    log("phone %s" % ("ok" if ok else "FAIL"))
    return 0 if ok else 1


def phone_answer(a, t, proto):
    """wait for an INVITE on any socket, answer, media, wait for BYE"""
    media = Media(a.bind, a.media_port)
    got = wait_for(t, lambda m: m.is_req and m.method == "INVITE", a.timeout, "INVITE")
    if not got:
        return False
    inv, src, s = got
    peer = inv.sdp_media()
    log("INVITE request-uri %s sdp %s" % (inv.start.split()[1], peer))
    body = sdp(a.bind, a.media_port, rtcp_attr=a.rtcp_attr)
    ctc = [("Contact", "<sip:phone@%s>" % (a.contact or hostport(a.bind, t.sport)))]
    t.send(reply(inv, 200, "OK", ctc, body), src, sock=s)
    if not wait_for(t, lambda m: m.is_req and m.method == "ACK", 5, "ACK"):
        return False
    ok = media.exchange(peer[0], peer[1], peer[2])
    got = wait_for(t, lambda m: m.is_req and m.method == "BYE", 10, "BYE")
    if not got:
        return False
    t.send(reply(got[0], 200, "OK"), got[1], sock=got[2])
    return ok


def phone_call(a, t, dst, via, contact, proto, sip, sport):
    """call the server with SDP; optionally hold and resume"""
    media = Media(a.bind, a.media_port)
    cid = rnd() + "@" + a.bind
    ftag = rnd()
    ruri = "sip:service@%s" % hostport(sip, sport)
    state = {"cseq": 1, "to": "<%s>" % ruri}

    def req(method, body="", cseq=None):
        n = cseq or state["cseq"]
        hdrs = [("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s%s" % (proto, via, rnd(), ";rport" if a.rport else "")),
                ("Max-Forwards", "70"),
                ("From", "<sip:phone@%s>;tag=%s" % (contact, ftag)), ("To", state["to"]),
                ("Call-ID", cid), ("CSeq", "%d %s" % (n, method)),
                ("Contact", "<sip:phone@%s>" % contact)]
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        return build("%s %s SIP/2.0" % (method, ruri), hdrs, body)

    def invite(direction):
        t.send(req("INVITE", sdp(a.bind, a.media_port, direction, a.rtcp_attr)), dst, split=a.split)
        got = wait_for(t, lambda m: not m.is_req and m.status >= 200 and m.cseq_method() == "INVITE",
                       8, "final response to INVITE")
        if not got or got[0].status != 200:
            return None
        m = got[0]
        state["to"] = m.get("To", "t")
        t.send(req("ACK", cseq=state["cseq"]), dst)
        state["cseq"] += 1
        log("200 to INVITE, sdp %s" % (m.sdp_media(),))
        return m.sdp_media()

    peer = invite(None)
    if not peer:
        return False
    ok = media.exchange(peer[0], peer[1], peer[2])
    if a.hold:
        media.rx = media.rx_rtcp = 0
        if not invite("sendonly"):
            return False
        log("on hold")
        time.sleep(a.hold_secs)
        media.rx = media.rx_rtcp = 0
        peer = invite("sendrecv")
        if not peer:
            return False
        ok = media.exchange(peer[0], peer[1], peer[2]) and ok
    t.send(req("BYE"), dst)
    got = wait_for(t, lambda m: not m.is_req and m.cseq_method() == "BYE", 5, "200 to BYE")
    return ok and bool(got) and got[0].status == 200


# ---------------------------------------------------------------- server

def via_dest(m, src):
    """RFC 3261 18.2.2 (+ RFC 3581): where a UDP response goes"""
    v = m.get("Via", "v").split(",")[0]
    sent_by = v.split()[1].split(";")[0]
    host, port = split_hp(sent_by)
    if re.search(r";rport(;|$|=)", v):
        return src
    return (src[0], port)


def stamp_via(m, src):
    """received= and rport= on the top Via of a request, as a server does"""
    vias = m.all("Via", "v")
    top = vias[0]
    parts = top.split(",")
    v = parts[0]
    v = re.sub(r";rport(?=;|$)", ";rport=%d" % src[1], v)
    v += ";received=%s" % src[0]
    parts[0] = v
    out = []
    first = True
    for k, val in m.hdrs:
        if (k.lower() in ("via", "v")) and first:
            out.append((k, ",".join(parts)))
            first = False
        else:
            out.append((k, val))
    m.hdrs = out


def server(a):
    t = Transport(a.tcp, a.bind, a.port, server=True)
    proto = "TCP" if a.tcp else "UDP"
    media = Media(a.bind, a.media_port)
    binding = None
    regs = 0
    ok = True
    end = time.time() + a.timeout
    in_call = None
    held = False
    while time.time() < end:
        got = t.recv(end - time.time())
        if not got:
            break
        m, src, s = got
        log("got %s from %s" % (m.start, hostport(src[0], src[1])))
        for k, v in m.hdrs:
            if k.lower() in ("via", "v", "contact", "m"):
                log("  %s: %s" % (k, v))
        if not m.is_req:
            continue
        stamp_via(m, src)
        rdst = src if a.tcp or a.respond == "source" else via_dest(m, src)
        if m.method == "REGISTER":
            ctc = m.get("Contact", "m")
            exp = int(m.get("Expires") or 3600)
            hp = re.search(r"sip:[^@>]*@([^;>]+)", ctc).group(1)
            binding = split_hp(hp)
            log("binding %s expires %d, answering to %s" % (hostport(*binding), exp, hostport(rdst[0], rdst[1])))
            t.send(reply(m, 200, "OK", [("Contact", "%s;expires=%d" % (ctc, exp))]), rdst, sock=s)
            regs += 1
            if regs >= a.registers and not a.call_registered and not a.answer:
                break
            if regs >= a.registers and a.call_registered and exp > 0:
                ok = server_call(a, t, binding, proto, media, s) and ok
                break
        elif m.method == "OPTIONS":
            t.send(reply(m, 200, "OK"), rdst, sock=s)
        elif m.method == "INVITE":
            peer = m.sdp_media()
            in_call = peer
            log("INVITE sdp %s" % (peer,))
            direction = None
            held = "a=sendonly" in m.body
            if held:
                direction = "recvonly"
            body = sdp(a.bind, a.media_port, direction)
            ctc = [("Contact", "<sip:service@%s>" % hostport(a.bind, a.port))]
            t.send(reply(m, 200, "OK", ctc, body), rdst, sock=s)
        elif m.method == "ACK":
            pass
        elif m.method == "BYE":
            t.send(reply(m, 200, "OK"), rdst, sock=s)
            break
        else:
            t.send(reply(m, 200, "OK"), rdst, sock=s)
        if m.method == "ACK" and in_call and not held:
            # media after every ACK unless the phone holds
            ok = media.exchange(in_call[0], in_call[1], in_call[2], 2.5) and ok
    if regs == 0 and not a.answer:
        log("FAIL: no REGISTER")
        ok = False
    log("server %s" % ("ok" if ok else "FAIL"))
    return 0 if ok else 1


def server_call(a, t, binding, proto, media, s):
    """call the registered phone at its Contact"""
    time.sleep(0.5)
    host, port = binding
    dst = (host, port)
    cid = rnd() + "@server"
    ftag = rnd()
    via = hostport(a.bind, a.port)
    ruri = "sip:phone@%s" % hostport(host, port)
    hdrs = [("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s;rport" % (proto, via, rnd())),
            ("Max-Forwards", "70"),
            ("From", "<sip:caller@%s>;tag=%s" % (via, ftag)), ("To", "<%s>" % ruri),
            ("Call-ID", cid), ("CSeq", "1 INVITE"),
            ("Contact", "<sip:caller@%s>" % via), ("Content-Type", "application/sdp")]
    log("calling %s" % ruri)
    t.send(build("INVITE %s SIP/2.0" % ruri, hdrs, sdp(a.bind, a.media_port)), dst,
           sock=s if a.tcp else None)
    got = wait_for(t, lambda m: not m.is_req and m.status >= 200 and m.cseq_method() == "INVITE",
                   8, "200 to INVITE")
    if not got or got[0].status != 200:
        return False
    ok200 = got[0]
    peer = ok200.sdp_media()
    to = ok200.get("To", "t")
    log("answered, sdp %s contact %s" % (peer, ok200.get("Contact", "m")))

    def req(method, n):
        h = [("Via", "SIP/2.0/%s %s;branch=z9hG4bK%s;rport" % (proto, via, rnd())),
             ("Max-Forwards", "70"),
             ("From", "<sip:caller@%s>;tag=%s" % (via, ftag)), ("To", to),
             ("Call-ID", cid), ("CSeq", "%d %s" % (n, method))]
        return build("%s %s SIP/2.0" % (method, ruri), h)

    t.send(req("ACK", 1), dst, sock=s if a.tcp else None)
    ok = media.exchange(peer[0], peer[1], peer[2])
    t.send(req("BYE", 2), dst, sock=s if a.tcp else None)
    got = wait_for(t, lambda m: not m.is_req and m.cseq_method() == "BYE", 5, "200 to BYE")
    return ok and bool(got) and got[0].status == 200


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    ph = sub.add_parser("phone")
    ph.add_argument("--bind", required=True)
    ph.add_argument("--sport", type=int, default=5060)
    ph.add_argument("--listen", type=int)
    ph.add_argument("--server", required=True)
    ph.add_argument("--via")
    ph.add_argument("--rport", action="store_true")
    ph.add_argument("--contact")
    ph.add_argument("--expires", type=int, default=300)
    ph.add_argument("--tcp", action="store_true")
    ph.add_argument("--split", action="store_true")
    ph.add_argument("--pack", action="store_true")
    ph.add_argument("--split-pause", type=float, default=0.3)
    ph.add_argument("--answer", action="store_true")
    ph.add_argument("--call", action="store_true")
    ph.add_argument("--hold", action="store_true")
    ph.add_argument("--unregister", action="store_true")
    ph.add_argument("--rtcp-attr", action="store_true")
    ph.add_argument("--hold-secs", type=float, default=0)
    ph.add_argument("--media-port", type=int, default=16000)
    ph.add_argument("--timeout", type=float, default=15)
    sv = sub.add_parser("server")
    sv.add_argument("--bind", required=True)
    sv.add_argument("--port", type=int, default=5060)
    sv.add_argument("--tcp", action="store_true")
    sv.add_argument("--respond", choices=("via", "source"), default="via")
    sv.add_argument("--call-registered", action="store_true")
    sv.add_argument("--answer", action="store_true")
    sv.add_argument("--registers", type=int, default=1)
    sv.add_argument("--media-port", type=int, default=20000)
    sv.add_argument("--timeout", type=float, default=30)
    a = p.parse_args()
    global SPLIT_PAUSE
    SPLIT_PAUSE = getattr(a, "split_pause", 0.3)
    return phone(a) if a.role == "phone" else server(a)


if __name__ == "__main__":
    sys.exit(main())
