#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A SIP trunk for sipalg's end-to-end tests: a PBX behind the NAT and its
carrier, several calls over one UDP signalling flow (5060 <-> 5060).

  trunk.py carrier --bind IP [--calls N] [--timeout S]
  trunk.py pbx --bind IP --server IP [--hook CMD]
  trunk.py expfn

The PBX sends an OPTIONS (the trunk's keep-alive), then:
  call 1 (media 16000) and call 2 (media 16010) answered, no media yet;
  BYE call 1;
  media on call 2;
  call 3 (media 16030), re-INVITE moving it to 16040;
  media on call 3;
  BYE call 2 and call 3.
It runs "CMD NAME" at the checkpoints two-calls, after-bye-1, call-3,
after-reinvite and end (the test takes its snapshots there).

Media on a call: the PBX sends INFO with "X-Media: send"; the carrier
answers, sends 10 RTP and 2 RTCP packets to every stale media address it
knows (the earlier SDP of the call, the ended calls), then 20 RTP and 4 RTCP
to the call's current one, then counts what the PBX sends it. The PBX
counts what reaches each of its media ports and prints one line per port:
"rx CALL port=P rtp=N rtcp=M", then sends its own 20 RTP and 4 RTCP. The
carrier prints "in CALL rtp=N rtcp=M".

expfn: the expectations of the current network namespace as ctnetlink
shows them, one line each: "dport=P class=C fn=NAME" (fn=- when none).

Exit 0 when the SIP side of the scenario succeeded; the counts are for the
test to judge.
"""
import argparse
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sippeer import Msg, build, log, reply, rnd, sdp  # noqa: E402

RTP_COUNT = 20
RTCP_COUNT = 4
STALE_RTP = 10


def rtp_pkt(n):
    return bytes([0x80, 0x00]) + (n & 0xffff).to_bytes(2, "big") + bytes(8) + bytes(160)


def rtcp_pkt():
    return bytes([0x81, 0xc8, 0, 6]) + bytes(24)


def udp(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    return s


def send_media(sock, rtcp_sock, target, rtp_n, rtcp_n, gap=0.02):
    ip, port, rtcp = target
    for i in range(rtp_n):
        sock.sendto(rtp_pkt(i), (ip, port))
        if i < rtcp_n:
            rtcp_sock.sendto(rtcp_pkt(), (ip, rtcp))
        time.sleep(gap)


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


# ---------------------------------------------------------------- carrier

class CarrierCall:
    def __init__(self, bind, port):
        self.port = port
        self.rtp = udp(bind, port)
        self.rtcp = udp(bind, port + 1)
        self.target = None
        self.old = []


def carrier(a):
    sock = udp(a.bind, 5060)
    calls = {}
    ended = []
    next_port = 20000
    byes = 0
    end = time.time() + a.timeout
    while byes < a.calls and time.time() < end:
        got = recv_msg(sock, end - time.time())
        if not got:
            break
        m, src = got
        log("got %s (%s) from %s:%d" % (m.start, m.get("Call-ID", "i"), src[0], src[1]))
        if not m.is_req or m.method == "ACK":
            continue
        cid = m.get("Call-ID", "i")
        if m.method == "INVITE":
            c = calls.get(cid)
            if not c:
                c = calls[cid] = CarrierCall(a.bind, next_port)
                next_port += 10
            tgt = m.sdp_media()
            if c.target and tgt != c.target:
                c.old.append(c.target)
            c.target = tgt
            log("  sdp %s, answering with media port %d" % (tgt, c.port))
            ctc = [("Contact", "<sip:carrier@%s:5060>" % a.bind)]
            sock.sendto(reply(m, 200, "OK", ctc, sdp(a.bind, c.port)).encode(), src)
        elif m.method == "INFO" and m.get("X-Media") == "send" and cid in calls:
            c = calls[cid]
            sock.sendto(reply(m, 200, "OK").encode(), src)
            stale = c.old + ended
            log("  media: stale %s, current %s" % (stale, c.target))
            for t in stale:
                send_media(c.rtp, c.rtcp, t, STALE_RTP, 2, 0.005)
            time.sleep(0.1)
            send_media(c.rtp, c.rtcp, c.target, RTP_COUNT, RTCP_COUNT)
            n_rtp = n_rtcp = 0
            stop = time.time() + 8
            while time.time() < stop and (n_rtp < RTP_COUNT or n_rtcp < RTCP_COUNT):
                r, _, _ = select.select([c.rtp, c.rtcp], [], [], stop - time.time())
                for s in r:
                    s.recvfrom(2048)
                    if s is c.rtp:
                        n_rtp += 1
                    else:
                        n_rtcp += 1
            log("in %s rtp=%d rtcp=%d" % (cid.split("-")[0], n_rtp, n_rtcp))
        elif m.method == "BYE":
            sock.sendto(reply(m, 200, "OK").encode(), src)
            if cid in calls:
                ended.append(calls[cid].target)
            byes += 1
        else:
            sock.sendto(reply(m, 200, "OK").encode(), src)
    ok = byes >= a.calls
    log("carrier %s (%d BYEs)" % ("ok" if ok else "FAIL", byes))
    return 0 if ok else 1


# ---------------------------------------------------------------- pbx

class PbxCall:
    def __init__(self, tag, bind):
        self.tag = tag
        self.cid = "%s-%s@%s" % (tag, rnd(), bind)
        self.ftag = rnd()
        self.to = None
        self.cseq = 0
        self.peer = None
        self.port = None


class Pbx:
    def __init__(self, a):
        self.a = a
        self.sock = udp(a.bind, 5060)
        self.dst = (a.server, 5060)
        self.ruri = "sip:carrier@%s:5060" % a.server
        self.media = {}
        for p in (16000, 16010, 16030, 16040):
            self.media[p] = (udp(a.bind, p), udp(a.bind, p + 1))

    def request(self, call, method, body="", extra=(), cseq=None):
        if cseq is None:
            call.cseq += 1
            cseq = call.cseq
        hdrs = [("Via", "SIP/2.0/UDP %s:5060;branch=z9hG4bK%s" % (self.a.bind, rnd())),
                ("Max-Forwards", "70"),
                ("From", "<sip:pbx@%s>;tag=%s" % (self.a.bind, call.ftag)),
                ("To", call.to or "<%s>" % self.ruri),
                ("Call-ID", call.cid), ("CSeq", "%d %s" % (cseq, method)),
                ("Contact", "<sip:pbx@%s:5060>" % self.a.bind)]
        hdrs += list(extra)
        if body:
            hdrs.append(("Content-Type", "application/sdp"))
        self.sock.sendto(build("%s %s SIP/2.0" % (method, self.ruri), hdrs, body).encode(),
                         self.dst)
        return cseq

    def transact(self, call, method, body="", extra=()):
        cseq = self.request(call, method, body, extra)
        end = time.time() + 10
        while time.time() < end:
            got = recv_msg(self.sock, end - time.time())
            if not got:
                break
            m, _ = got
            log("got %s (%s)" % (m.start, m.get("CSeq")))
            if (not m.is_req and m.status >= 200 and m.get("Call-ID", "i") == call.cid and
                    m.get("CSeq") == "%d %s" % (cseq, method)):
                return m
        raise RuntimeError("no final response to %s of call %s" % (method, call.tag))

    def invite(self, call, port):
        m = self.transact(call, "INVITE", sdp(self.a.bind, port))
        if m.status != 200:
            raise RuntimeError("INVITE of call %s: %d" % (call.tag, m.status))
        call.to = m.get("To", "t")
        call.peer = m.sdp_media()
        call.port = port
        self.request(call, "ACK", cseq=call.cseq)
        log("call %s: media %d, carrier's %s" % (call.tag, port, call.peer))

    def bye(self, call):
        m = self.transact(call, "BYE")
        if m.status != 200:
            raise RuntimeError("BYE of call %s: %d" % (call.tag, m.status))

    def hook(self, name):
        log("checkpoint %s" % name)
        if self.a.hook:
            rc = subprocess.call([self.a.hook, name])
            if rc:
                log("hook %s exited %d" % (name, rc))

    def media_check(self, call, stale):
        ports = [call.port] + stale
        for p in ports:
            for s in self.media[p]:
                s.setblocking(False)
                try:
                    while True:
                        s.recv(2048)
                except BlockingIOError:
                    pass
                s.setblocking(True)
        m = self.transact(call, "INFO", extra=[("X-Media", "send")])
        if m.status != 200:
            raise RuntimeError("INFO of call %s: %d" % (call.tag, m.status))
        count = {p: [0, 0] for p in ports}
        socks = {}
        for p in ports:
            socks[self.media[p][0]] = (p, 0)
            socks[self.media[p][1]] = (p, 1)
        stop = time.time() + 8
        cur = count[call.port]
        while time.time() < stop and (cur[0] < RTP_COUNT or cur[1] < RTCP_COUNT):
            r, _, _ = select.select(list(socks), [], [], stop - time.time())
            for s in r:
                s.recvfrom(2048)
                p, i = socks[s]
                count[p][i] += 1
        # anything to the stale ports was sent before the current ones
        time.sleep(0.2)
        for s, (p, i) in socks.items():
            s.setblocking(False)
            try:
                while True:
                    s.recv(2048)
                    count[p][i] += 1
            except BlockingIOError:
                pass
            s.setblocking(True)
        for p in ports:
            log("rx %s port=%d rtp=%d rtcp=%d" % (call.tag, p, count[p][0], count[p][1]))
        rtp, rtcp = self.media[call.port]
        send_media(rtp, rtcp, call.peer, RTP_COUNT, RTCP_COUNT)


def pbx(a):
    p = Pbx(a)
    keepalive = PbxCall("options", a.bind)
    m = p.transact(keepalive, "OPTIONS")
    log("OPTIONS: %d" % m.status)
    c1 = PbxCall("call1", a.bind)
    c2 = PbxCall("call2", a.bind)
    c3 = PbxCall("call3", a.bind)
    p.invite(c1, 16000)
    p.invite(c2, 16010)
    p.hook("two-calls")
    p.bye(c1)
    p.hook("after-bye-1")
    p.media_check(c2, [16000])
    p.invite(c3, 16030)
    p.hook("call-3")
    p.invite(c3, 16040)
    p.hook("after-reinvite")
    p.media_check(c3, [16030, 16000])
    p.bye(c2)
    p.bye(c3)
    p.hook("end")
    log("pbx ok")
    return 0


# ---------------------------------------------------------------- expfn

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK_EXP = 2
IPCTNL_MSG_EXP_GET = 1
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
CTA_EXPECT_TUPLE, CTA_EXPECT_CLASS, CTA_EXPECT_FN = 2, 9, 11
CTA_TUPLE_PROTO, CTA_PROTO_DST_PORT = 2, 3


def nl_attrs(buf):
    out = {}
    i = 0
    while i + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, i)
        if alen < 4:
            break
        out[atype & 0x3fff] = buf[i + 4:i + alen]
        i += (alen + 3) & ~3
    return out


def expfn(a):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    hdr = struct.pack("=LHHLL", 20, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_GET,
                      NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    s.send(hdr + struct.pack("=BBH", socket.AF_INET, 0, 0))
    while True:
        data = s.recv(65536)
        i = 0
        while i + 16 <= len(data):
            mlen, mtype = struct.unpack_from("=LH", data, i)
            if mtype in (NLMSG_DONE, NLMSG_ERROR):
                return 0
            at = nl_attrs(data[i + 20:i + mlen])
            port = "?"
            proto = nl_attrs(nl_attrs(at.get(CTA_EXPECT_TUPLE, b"")).get(CTA_TUPLE_PROTO, b""))
            if CTA_PROTO_DST_PORT in proto:
                port = struct.unpack(">H", proto[CTA_PROTO_DST_PORT][:2])[0]
            cls = struct.unpack(">L", at[CTA_EXPECT_CLASS])[0] if CTA_EXPECT_CLASS in at else "?"
            fn = at[CTA_EXPECT_FN].rstrip(b"\0").decode() if CTA_EXPECT_FN in at else "-"
            print("dport=%s class=%s fn=%s" % (port, cls, fn))
            i += (mlen + 3) & ~3


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    c = sub.add_parser("carrier")
    c.add_argument("--bind", required=True)
    c.add_argument("--calls", type=int, default=3)
    c.add_argument("--timeout", type=float, default=120)
    x = sub.add_parser("pbx")
    x.add_argument("--bind", required=True)
    x.add_argument("--server", required=True)
    x.add_argument("--hook")
    sub.add_parser("expfn")
    a = p.parse_args()
    if a.role == "carrier":
        return carrier(a)
    if a.role == "pbx":
        try:
            return pbx(a)
        except RuntimeError as e:
            log("FAIL: %s" % e)
            return 1
    return expfn(a)


if __name__ == "__main__":
    sys.exit(main())
