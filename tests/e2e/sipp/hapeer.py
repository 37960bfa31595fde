#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A long-running SIP user agent for the failover test (t-84-ha): it keeps
its calls and RTP going while the test moves the router under it, and takes
commands on a FIFO so the test decides when each step happens.

  hapeer.py --bind IP --ctl FIFO [--registrar] [--peer IP:PORT]
            [--media-port P] [--rport] [--tcp]

--tcp: the phone sends everything over one TCP connection to --peer (Via
and Contact: its local port, ;transport=tcp). The registrar always also
listens on TCP 5060, answers on the connection a request came on, and
calls a phone registered over TCP on that connection.

Commands (one a line on the FIFO):
  register          REGISTER to --peer (Contact and Via: --bind:5060)
  call              INVITE to --peer with SDP, ACK, start RTP
  callreg           INVITE to the last registered Contact (the registrar)
  bye               BYE on the current call, stop RTP
  mark              start a new media window (gap and counts from now)
  stats             print "stats rx=N gap_ms=G idle_ms=I" for the window
  quit

Events, one a line with the time in ms: "registered ...", "register from
SRC contact C via V", "call-up ...", "incoming ...", "bye-ok", "bye from
SRC via V", "timeout ...". RTP: 50 packets a second to where the other
side's SDP says, while a call is up.
"""
import argparse
import os
import random
import re
import select
import socket
import sys
import time

T1 = 0.5


def ms():
    return int(time.time() * 1000)


def log(*a):
    print(ms(), *a, flush=True)


def rnd():
    return "%08x" % random.getrandbits(32)


def parse(raw):
    head, _, body = raw.partition("\r\n\r\n")
    lines = head.split("\r\n")
    hdrs = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs.append((k.strip().lower(), v.strip()))
    return lines[0], hdrs, body


def hget(hdrs, name, short=None):
    for k, v in hdrs:
        if k == name or k == short:
            return v
    return None


def sdp_media(body):
    ip = port = None
    for ln in body.split("\r\n"):
        if ln.startswith("c=IN IP4 "):
            ip = ln.split()[2]
        elif ln.startswith("m=audio "):
            port = int(ln.split()[1])
    return (ip, port) if ip and port else None


def build(start, hdrs, body=""):
    out = start + "\r\n" + "".join("%s: %s\r\n" % kv for kv in hdrs)
    if body:
        out += "Content-Type: application/sdp\r\n"
    return out + "Content-Length: %d\r\n\r\n%s" % (len(body), body)


def frame(buf):
    """one message off the front of a TCP stream: (bytes, rest) or (None, buf)"""
    buf = buf.lstrip(b"\r\n")
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        return None, buf
    m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", buf[:i])
    end = i + 4 + (int(m.group(1)) if m else 0)
    if len(buf) < end:
        return None, buf
    return buf[:end], buf[end:]


def uri_hp(s):
    m = re.search(r"sip:(?:[^@>;]*@)?([0-9.]+)(?::(\d+))?", s)
    return (m.group(1), int(m.group(2) or 5060))


class UA:
    def __init__(self, a):
        self.a = a
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind((a.bind, 5060))
        self.lsock = None
        self.conn = None
        self.bufs = {}
        if a.registrar:
            self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.lsock.bind((a.bind, 5060))
            self.lsock.listen(8)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((a.bind, a.media_port))
        self.peer = None
        if a.peer:
            h, _, p = a.peer.partition(":")
            self.peer = (h, int(p or 5060))
        self.binding = None
        if a.tcp:
            self.conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.conn.bind((a.bind, 0))
            self.conn.connect(self.peer)
            self.bufs[self.conn] = b""
            self.lport = self.conn.getsockname()[1]
            log("connected from port %d" % self.lport)
        self.pending = {}   # branch -> [msg, dst, next resend, interval, deadline, what]
        self.call = None    # dict: cid, ltag, rtag, to/from uris, target, cseq, media
        self.seq = 0
        self.cur_conn = None
        self.next_rtp = 0
        self.win_start = self.last_rx = None
        self.rx = 0
        self.gap = 0

    def via(self, branch, dst=None):
        if self.a.tcp:
            return "SIP/2.0/TCP %s:%d;branch=%s" % (self.a.bind, self.lport, branch)
        if isinstance(dst, socket.socket):
            return "SIP/2.0/TCP %s:5060;branch=%s" % (self.a.bind, branch)
        return "SIP/2.0/UDP %s:5060;branch=%s%s" % (self.a.bind, branch, ";rport" if self.a.rport else "")

    def xmit(self, data, dst):
        """dst: a UDP address, or a TCP connection; the TCP phone always
        sends on its connection"""
        if self.a.tcp:
            dst = self.conn
        if isinstance(dst, socket.socket):
            dst.sendall(data)
        else:
            self.sip.sendto(data, dst)

    def send_req(self, method, ruri, dst, hdrs, body="", what=None):
        br = "z9hG4bK" + rnd()
        msg = build("%s %s SIP/2.0" % (method, ruri),
                    [("Via", self.via(br, dst)), ("Max-Forwards", "70")] + hdrs, body)
        self.xmit(msg.encode(), dst)
        if method != "ACK":
            now = time.time()
            resend = now + (T1 if not self.a.tcp and not isinstance(dst, socket.socket) else 99)
            self.pending[br] = [msg, dst, resend, T1, now + 16, what or method]

    def respond(self, hdrs, code, src, extra=(), body=""):
        vias = [v for k, v in hdrs if k in ("via", "v")]
        top = vias[0]
        if self.cur_conn:
            dst = self.cur_conn
        elif ";rport" in top:
            dst = src
        else:
            m = re.match(r"SIP/2.0/UDP [0-9.]+(?::(\d+))?", top)
            dst = (src[0], int(m.group(1) or 5060))
        to = hget(hdrs, "to", "t")
        if ";tag=" not in to:
            to += ";tag=" + (self.call["ltag"] if self.call and self.call["cid"] == hget(hdrs, "call-id", "i") else rnd())
        out = [("Via", v) for v in vias] + [("From", hget(hdrs, "from", "f")), ("To", to),
                                           ("Call-ID", hget(hdrs, "call-id", "i")),
                                           ("CSeq", hget(hdrs, "cseq"))] + list(extra)
        self.xmit(build("SIP/2.0 %d %s" % (code, "OK"), out, body).encode(), dst)

    def sdp(self):
        return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (self.a.bind, self.a.bind, self.a.media_port))

    def contact(self):
        if self.a.tcp:
            return "<sip:ua@%s:%d;transport=tcp>" % (self.a.bind, self.lport)
        return "<sip:ua@%s:5060>" % self.a.bind

    # -- commands
    def cmd(self, line):
        w = line.split()
        if not w:
            return True
        c = w[0]
        if c == "register":
            cid = "reg-" + self.a.bind
            self.seq += 1
            ruri = "sip:%s:%d" % self.peer
            self.send_req("REGISTER", ruri, self.peer,
                          [("From", "<sip:phone@%s>;tag=%s" % (self.peer[0], rnd())),
                           ("To", "<sip:phone@%s>" % self.peer[0]), ("Call-ID", cid),
                           ("CSeq", "%d REGISTER" % self.seq), ("Contact", self.contact()),
                           ("Expires", "300")])
        elif c in ("call", "callreg"):
            target = self.peer if c == "call" else (self.binding[2] or self.binding[0])
            ruri = "sip:ua@%s:%d" % target if c == "call" else self.binding[1]
            self.call = {"cid": rnd() + "@" + self.a.bind, "ltag": rnd(), "rtag": None,
                         "ruri": ruri, "target": target, "cseq": 1, "media": None,
                         "from": "<sip:ua@%s>" % self.a.bind, "to": "<%s>" % ruri, "uac": True}
            self.send_req("INVITE", ruri, target, self.dlg_hdrs("INVITE"), self.sdp())
        elif c == "bye":
            if not self.call:
                log("bye-nocall")
                return True
            self.call["cseq"] += 1
            self.send_req("BYE", self.call["ruri"], self.call["target"], self.dlg_hdrs("BYE"))
            self.call["media"] = None
        elif c == "mark":
            self.win_start = time.time()
            self.last_rx = None
            self.rx = 0
            self.gap = 0
            log("marked")
        elif c == "stats":
            now = time.time()
            ref = self.last_rx or self.win_start or now
            idle = int((now - ref) * 1000)
            log("stats rx=%d gap_ms=%d idle_ms=%d" % (self.rx, max(self.gap, idle), idle))
        elif c == "quit":
            return False
        return True

    def dlg_hdrs(self, method):
        c = self.call
        fr = c["from"] + ";tag=" + c["ltag"]
        to = c["to"] + (";tag=" + c["rtag"] if c["rtag"] else "")
        return [("From", fr), ("To", to), ("Call-ID", c["cid"]),
                ("CSeq", "%d %s" % (c["cseq"], method)), ("Contact", self.contact())]

    # -- SIP input
    def on_sip(self, data, src):
        start, hdrs, body = parse(data.decode("latin-1"))
        if start.startswith("SIP/2.0 "):
            return self.on_resp(start, hdrs, body, src)
        method = start.split()[0]
        via = hget(hdrs, "via", "v")
        if method == "REGISTER":
            ctc = hget(hdrs, "contact", "m")
            self.binding = (uri_hp(ctc), re.search(r"<?(sip:[^>;]+)", ctc).group(1), self.cur_conn)
            log("register from %s:%d contact %s via %s" % (src[0], src[1], ctc, via))
            self.respond(hdrs, 200, src, [("Contact", ctc + ";expires=300")])
        elif method == "INVITE":
            cid = hget(hdrs, "call-id", "i")
            if not self.call or self.call["cid"] != cid:
                fr = hget(hdrs, "from", "f")
                ctc = hget(hdrs, "contact", "m")
                self.call = {"cid": cid, "ltag": rnd(), "rtag": re.search(r";tag=([^;]+)", fr).group(1),
                             "ruri": re.search(r"<?(sip:[^>;]+)", ctc).group(1),
                             "target": self.cur_conn or uri_hp(ctc),
                             "cseq": 100, "media": None, "uac": False,
                             "from": re.sub(r";tag=.*", "", hget(hdrs, "to", "t")),
                             "to": re.sub(r";tag=.*", "", fr)}
            self.call["offer"] = sdp_media(body)
            log("incoming from %s:%d sdp %s via %s" % (src[0], src[1], self.call["offer"], via))
            self.respond(hdrs, 200, src, [("Contact", self.contact())], self.sdp())
        elif method == "ACK":
            if self.call and self.call.get("offer"):
                self.call["media"] = self.call["offer"]
                log("call-up media to %s:%d" % self.call["media"])
        elif method == "BYE":
            log("bye from %s:%d via %s" % (src[0], src[1], via))
            self.respond(hdrs, 200, src)
            if self.call:
                self.call["media"] = None
        else:
            self.respond(hdrs, 200, src)

    def on_resp(self, start, hdrs, body, src):
        code = int(start.split()[1])
        m = re.search(r"branch=([^;, ]+)", hget(hdrs, "via", "v") or "")
        br = m.group(1) if m else None
        method = (hget(hdrs, "cseq") or " ").split()[-1]
        if code < 200:
            return
        p = self.pending.pop(br, None)
        if p is None:
            if method == "INVITE" and self.call:   # a 200 resent: ACK it again
                self.send_req("ACK", self.call["ruri"], self.call["target"], self.dlg_hdrs("ACK"))
            return
        if method == "REGISTER":
            log("registered %d contact %s" % (code, hget(hdrs, "contact", "m")))
        elif method == "INVITE" and self.call:
            c = self.call
            c["rtag"] = re.search(r";tag=([^;]+)", hget(hdrs, "to", "t")).group(1)
            ctc = hget(hdrs, "contact", "m")
            if ctc:
                c["ruri"] = re.search(r"<?(sip:[^>;]+)", ctc).group(1)
                if not isinstance(c["target"], socket.socket):
                    c["target"] = uri_hp(ctc)
            self.send_req("ACK", c["ruri"], c["target"], self.dlg_hdrs("ACK"))
            c["media"] = sdp_media(body)
            log("call-up %d media to %s:%d" % ((code,) + c["media"]))
        elif method == "BYE":
            log("bye-ok %d" % code)

    def run(self, ctl):
        buf = b""
        while True:
            now = time.time()
            for br, p in list(self.pending.items()):
                if now >= p[4]:
                    log("timeout %s" % p[5])
                    del self.pending[br]
                elif now >= p[2]:
                    self.xmit(p[0].encode(), p[1])
                    p[3] = min(p[3] * 2, 4.0)
                    p[2] = now + p[3]
            med = self.call and self.call["media"]
            if med and now >= self.next_rtp:
                self.seq_rtp = getattr(self, "seq_rtp", 0) + 1
                hdr = bytes([0x80, 0x00]) + (self.seq_rtp & 0xffff).to_bytes(2, "big") + bytes(8)
                self.rtp.sendto(hdr + bytes(160), med)
                self.next_rtp = max(self.next_rtp + 0.02, now - 0.02)
            rl = [self.sip, self.rtp, ctl] + list(self.bufs) + ([self.lsock] if self.lsock else [])
            r, _, _ = select.select(rl, [], [], 0.005)
            for s in r:
                if s is self.lsock:
                    c, a = s.accept()
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self.bufs[c] = b""
                    log("accepted from %s:%d" % a)
                    continue
                if s in self.bufs:
                    d = s.recv(65536)
                    if not d:
                        log("connection closed")
                        del self.bufs[s]
                        s.close()
                        continue
                    self.bufs[s] += d
                    while True:
                        m, self.bufs[s] = frame(self.bufs[s])
                        if m is None:
                            break
                        self.cur_conn = s
                        self.on_sip(m, s.getpeername())
                        self.cur_conn = None
                    continue
                if s is ctl:
                    buf += os.read(ctl, 4096)
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        if not self.cmd(line.decode()):
                            return 0
                    continue
                d, src = s.recvfrom(65536)
                if s is self.sip:
                    if d.strip():
                        self.on_sip(d, src)
                    continue
                t = time.time()
                if self.win_start is not None:
                    ref = self.last_rx or self.win_start
                    self.gap = max(self.gap, int((t - ref) * 1000))
                    self.rx += 1
                self.last_rx = t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--ctl", required=True)
    p.add_argument("--peer")
    p.add_argument("--registrar", action="store_true")
    p.add_argument("--rport", action="store_true")
    p.add_argument("--tcp", action="store_true")
    p.add_argument("--media-port", type=int, default=16000)
    a = p.parse_args()
    ctl = os.open(a.ctl, os.O_RDWR)
    return UA(a).run(ctl)


if __name__ == "__main__":
    sys.exit(main())
