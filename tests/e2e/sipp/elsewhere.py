#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Media from elsewhere than the signalling peer, for sipalg's end-to-end
tests: a phone behind the NAT registers with a registrar/proxy and calls a
far end through it; the proxy relays no media, so RTP flows between the
phone and the far end's own address.

  elsewhere.py far --bind PROXY_IP --media IP [--media-src IP] [--timeout S]
  elsewhere.py phone --bind IP --proxy PROXY_IP
  elsewhere.py dmz --bind IP --public PUB --proxy PROXY_IP

far: the registrar/proxy on PROXY_IP:5060 with the far end behind it (the
far end's signalling to the proxy does not cross the router, so one process
plays both). It answers REGISTER (200, the Contact and expires=300), and
answers each INVITE with SDP c=MEDIA m=audio 30000 (a=recvonly to an
a=sendonly offer). On an INFO with "X-Media: send" it answers 200, then for
2 s sends one RTP packet every 10 ms (and an RTCP every 10th) to the address
and ports the phone's latest SDP names, from MEDIA:30000/30001, or from
MEDIA_SRC:30000/30001 when --media-src is given (a media server behind a
load balancer: its packets come from an address the SDP did not name),
counting what arrives on MEDIA:30000/30001. It prints
"in CALL media=N rtp=R rtcp=C" per INFO and exits after the BYE.

phone: REGISTER, INVITE (media 16030), media, re-INVITE to hold
(a=sendonly, same port), re-INVITE to resume on port 16040, media, BYE.
During each media check it sends like the far end does, to the address the
far end's answer names, from its current port, and counts per port what
arrives on 16030/16031 and 16040/16041: "rx media=N port=P rtp=R rtcp=C".

dmz: a host with static NAT that writes its public address PUB (not its
own IP) in its Via, Contact and SDP: REGISTER, INVITE, ACK, an INFO with
"X-Media: options" (the far end answers it, then sends an OPTIONS to the
Contact of the INVITE, which dmz answers), BYE. For every message it
receives it prints "rx START|via=TOP-VIA|contact=CONTACT".

Exit 0 when the SIP side of the scenario succeeded; the counts are for the
test to judge.
"""
import argparse
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sippeer import Msg, build, log, reply, rnd, sdp  # noqa: E402

FAR_PORT = 30000
MEDIA_SECS = 2.0
GAP = 0.01


def udp(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    return s


def rtp_pkt(n):
    return bytes([0x80, 0x00]) + (n & 0xffff).to_bytes(2, "big") + bytes(8) + bytes(160)


def rtcp_pkt():
    return bytes([0x81, 0xc8, 0, 6]) + bytes(24)


def recv_msg(sock, timeout):
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return None
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return None
        d, src = sock.recvfrom(65536)
        if d.strip():
            return Msg(d.decode("latin-1")), src


def exchange(tx, target, rx):
    """send from tx (rtp, rtcp sockets) to target (ip, rtp, rtcp) for
    MEDIA_SECS while counting what reaches each socket of rx
    ({sock: (port, 0 rtp | 1 rtcp)}); then drain for 0.5 s. Returns
    {port: [rtp, rtcp]}"""
    count = {}
    for p, _ in rx.values():
        count[p] = [0, 0]
    start = time.time()
    n = 0
    while True:
        now = time.time()
        if now >= start + MEDIA_SECS + 0.5:
            break
        if now < start + MEDIA_SECS and now >= start + n * GAP:
            tx[0].sendto(rtp_pkt(n), (target[0], target[1]))
            if n % 10 == 0:
                tx[1].sendto(rtcp_pkt(), (target[0], target[2]))
            n += 1
        wait = max(0.0, min(start + n * GAP, start + MEDIA_SECS + 0.5) - time.time())
        r, _, _ = select.select(list(rx), [], [], wait)
        for s in r:
            s.recvfrom(2048)
            p, i = rx[s]
            count[p][i] += 1
    return count, n


# ---------------------------------------------------------------- far end

def far(a):
    sig = udp(a.bind, 5060)
    rx = {udp(a.media, FAR_PORT): (FAR_PORT, 0), udp(a.media, FAR_PORT + 1): (FAR_PORT, 1)}
    src = a.media_src or a.media
    if src == a.media:
        tx = tuple(rx)
    else:
        tx = (udp(src, FAR_PORT), udp(src, FAR_PORT + 1))
    target = None
    contact = None
    media_n = 0
    end = time.time() + a.timeout
    ok = False
    while time.time() < end:
        got = recv_msg(sig, end - time.time())
        if not got:
            break
        m, peer = got
        log("got %s (%s) from %s:%d" % (m.start, m.get("CSeq"), peer[0], peer[1]))
        if not m.is_req or m.method == "ACK":
            continue
        if m.method == "REGISTER":
            ctc = [("Contact", "%s;expires=300" % m.get("Contact", "m"))]
            sig.sendto(reply(m, 200, "OK", ctc).encode(), peer)
        elif m.method == "INVITE":
            contact = m.get("Contact", "m")
            target = m.sdp_media()
            d = "recvonly" if "a=sendonly" in m.body else None
            log("  phone's sdp %s, answering c=%s m=%d%s" %
                (target, a.media, FAR_PORT, " " + d if d else ""))
            ctc = [("Contact", "<sip:far@%s:5060>" % a.bind)]
            sig.sendto(reply(m, 200, "OK", ctc, sdp(a.media, FAR_PORT, d)).encode(), peer)
        elif m.method == "INFO" and m.get("X-Media") == "send":
            sig.sendto(reply(m, 200, "OK").encode(), peer)
            media_n += 1
            log("  media %d: sending from %s to %s" % (media_n, src, target))
            count, sent = exchange(tx, target, rx)
            log("  sent %d rtp" % sent)
            log("in call media=%d rtp=%d rtcp=%d" %
                (media_n, count[FAR_PORT][0], count[FAR_PORT][1]))
        elif m.method == "INFO" and m.get("X-Media") == "options":
            sig.sendto(reply(m, 200, "OK").encode(), peer)
            uri = (contact or "").strip("<>").split(">")[0]
            hdrs = [("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s" % (a.bind, rnd())),
                    ("Max-Forwards", "70"), ("From", m.get("To", "t")),
                    ("To", m.get("From", "f")), ("Call-ID", m.get("Call-ID", "i")),
                    ("CSeq", "1 OPTIONS")]
            sig.sendto(build("OPTIONS %s SIP/2.0" % uri, hdrs).encode(), peer)
            log("  sent OPTIONS %s" % uri)
        elif m.method == "BYE":
            sig.sendto(reply(m, 200, "OK").encode(), peer)
            ok = True
            break
        else:
            sig.sendto(reply(m, 200, "OK").encode(), peer)
    log("far %s" % ("ok" if ok else "FAIL"))
    return 0 if ok else 1


# ---------------------------------------------------------------- phone

class Phone:
    def __init__(self, a):
        self.a = a
        self.sock = udp(a.bind, 5060)
        self.dst = (a.proxy, 5060)
        self.cid = "call-%s@%s" % (rnd(), a.bind)
        self.ftag = rnd()
        self.to = None
        self.cseq = 0
        self.ruri = "sip:far@%s:5060" % a.proxy
        self.media = {}
        for p in (16030, 16040):
            self.media[p] = (udp(a.bind, p), udp(a.bind, p + 1))
        self.peer = None

    def request(self, method, body="", extra=(), cseq=None, cid=None, to=None, ruri=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        hdrs = [("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s" % (self.a.bind, rnd())),
                ("Max-Forwards", "70"),
                ("From", "<sip:phone@%s>;tag=%s" % (self.a.proxy, self.ftag)),
                ("To", to or self.to or "<%s>" % self.ruri),
                ("Call-ID", cid or self.cid), ("CSeq", "%d %s" % (cseq, method)),
                ("Contact", "<sip:phone@%s:5060>" % self.a.bind)]
        hdrs += list(extra)
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        self.sock.sendto(build("%s %s SIP/2.0" % (method, ruri or self.ruri), hdrs,
                               body).encode(), self.dst)
        return cseq

    def transact(self, method, body="", extra=(), **kw):
        cseq = self.request(method, body, extra, **kw)
        end = time.time() + 10
        while time.time() < end:
            got = recv_msg(self.sock, end - time.time())
            if not got:
                break
            m, _ = got
            log("got %s (%s)" % (m.start, m.get("CSeq")))
            if not m.is_req and m.status >= 200 and m.get("CSeq") == "%d %s" % (cseq, method):
                if m.status != 200:
                    raise RuntimeError("%s: %d" % (method, m.status))
                return m
        raise RuntimeError("no final response to %s" % method)

    def register(self):
        reg = "sip:%s" % self.a.proxy
        self.transact("REGISTER", extra=[("Expires", "300")], cseq=1,
                      cid="reg-%s@%s" % (rnd(), self.a.bind),
                      to="<sip:phone@%s>" % self.a.proxy, ruri=reg)

    def invite(self, port, direction=None):
        m = self.transact("INVITE", sdp(self.a.bind, port, direction))
        self.to = m.get("To", "t")
        self.peer = m.sdp_media()
        self.request("ACK", cseq=self.cseq)
        log("invite: media %d%s, far end's %s" %
            (port, " " + direction if direction else "", self.peer))

    def media_check(self, n, port):
        rx = {}
        for p, socks in self.media.items():
            for i, s in enumerate(socks):
                rx[s] = (p, i)
        self.transact("INFO", extra=[("X-Media", "send")])
        count, sent = exchange(self.media[port], self.peer, rx)
        log("sent %d rtp from %d" % (sent, port))
        for p in sorted(count):
            log("rx media=%d port=%d rtp=%d rtcp=%d" % (n, p, count[p][0], count[p][1]))


class Dmz(Phone):
    """writes its public address: Via, Contact and SDP"""

    def __init__(self, a):
        super().__init__(a)
        self.me = a.public

    def request(self, method, body="", extra=(), cseq=None, cid=None, to=None, ruri=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        hdrs = [("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s" % (self.me, rnd())),
                ("Max-Forwards", "70"),
                ("From", "<sip:dmz@%s>;tag=%s" % (self.me, self.ftag)),
                ("To", to or self.to or "<%s>" % self.ruri),
                ("Call-ID", cid or self.cid), ("CSeq", "%d %s" % (cseq, method)),
                ("Contact", "<sip:dmz@%s:5060>" % self.me)]
        hdrs += list(extra)
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        self.sock.sendto(build("%s %s SIP/2.0" % (method, ruri or self.ruri), hdrs,
                               body).encode(), self.dst)
        return cseq

    def transact(self, method, body="", extra=(), **kw):
        cseq = self.request(method, body, extra, **kw)
        end = time.time() + 10
        while time.time() < end:
            got = recv_msg(self.sock, end - time.time())
            if not got:
                break
            m, src = got
            log("rx %s|via=%s|contact=%s" % (m.start, m.get("Via", "v"), m.get("Contact", "m")))
            if m.is_req:
                self.sock.sendto(reply(m, 200, "OK").encode(), src)
                continue
            if m.status >= 200 and m.get("CSeq") == "%d %s" % (cseq, method):
                if m.status != 200:
                    raise RuntimeError("%s: %d" % (method, m.status))
                return m
        raise RuntimeError("no final response to %s" % method)

    def invite(self, port, direction=None):
        m = self.transact("INVITE", sdp(self.me, port, direction))
        self.to = m.get("To", "t")
        self.request("ACK", cseq=self.cseq)


def dmz(a):
    d = Dmz(a)
    d.register()
    d.invite(16030)
    d.transact("INFO", extra=[("X-Media", "options")])
    # the far end's OPTIONS comes after its 200 to the INFO
    end = time.time() + 5
    while time.time() < end:
        got = recv_msg(d.sock, end - time.time())
        if not got:
            break
        m, src = got
        log("rx %s|via=%s|contact=%s" % (m.start, m.get("Via", "v"), m.get("Contact", "m")))
        if m.is_req:
            d.sock.sendto(reply(m, 200, "OK").encode(), src)
            break
    d.transact("BYE")
    log("dmz ok")
    return 0


def phone(a):
    p = Phone(a)
    p.register()
    p.invite(16030)
    p.media_check(1, 16030)
    p.invite(16030, "sendonly")
    p.invite(16040)
    p.media_check(2, 16040)
    p.transact("BYE")
    log("phone ok")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="role", required=True)
    f = sub.add_parser("far")
    f.add_argument("--bind", required=True)
    f.add_argument("--media", required=True)
    f.add_argument("--media-src")
    f.add_argument("--timeout", type=float, default=90)
    x = sub.add_parser("phone")
    x.add_argument("--bind", required=True)
    x.add_argument("--proxy", required=True)
    z = sub.add_parser("dmz")
    z.add_argument("--bind", required=True)
    z.add_argument("--public", required=True)
    z.add_argument("--proxy", required=True)
    a = ap.parse_args()
    if a.role == "far":
        return far(a)
    try:
        return dmz(a) if a.role == "dmz" else phone(a)
    except RuntimeError as e:
        log("FAIL: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
