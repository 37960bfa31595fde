#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A phone registered over TCP is called on a NEW connection: the phone
# registers through the fully-random masquerading router (Contact
# ;transport=tcp, naming the port it listens on), closes its connection,
# and the server opens another TCP connection, from a port of its own, to
# the Contact the REGISTER reached it with (the router's public address
# and port), and calls. The registration pinhole must let that connection
# in and NAT it to the phone's listening port; the call must complete.
#
#   phone (sa-cli)                       router (sa-rtr)              server (sa-srv)
#   192.168.1.2:eph --REGISTER--> lan0 | 198.51.100.1:N wan0 ------> 198.51.100.2:5060/tcp
#   192.168.1.2:5060 <--INVITE-- (pinhole) 198.51.100.1:N <--------- 198.51.100.2:eph
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"
trap topo_down EXIT

# the two peers, on tests/e2e/sipp/sippeer.py's message helpers
write_peers() {
	cat >"$E2E_OUT/reconnect.py" <<-'EOF'
	import select, socket, sys, time
	sys.path.insert(0, sys.argv[1])
	from sippeer import Media, Msg, build, frame, log, reply, rnd, sdp, split_hp

	class Conn:
	    def __init__(self, s):
	        self.s, self.buf = s, b""

	    def send(self, m):
	        self.s.sendall(m.encode())

	    def recv(self, timeout, what):
	        end = time.time() + timeout
	        while True:
	            m, rest = frame(self.buf)
	            if m:
	                self.buf = rest
	                log("got %s" % m.start)
	                for k, v in m.hdrs:
	                    if k.lower() in ("via", "v", "contact", "m"):
	                        log("  %s: %s" % (k, v))
	                for line in m.body.split("\r\n"):
	                    if line.startswith("c="):
	                        log("  %s" % line)
	                return m
	            left = end - time.time()
	            r = select.select([self.s], [], [], max(left, 0))[0] if left > 0 else []
	            if not r:
	                log("FAIL: timeout waiting for %s" % what)
	                sys.exit(1)
	            d = self.s.recv(65536)
	            if not d:
	                return None
	            self.buf += d

	def tcp(ip):
	    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	    return s

	def phone(me, srv):
	    ls = tcp(me)
	    ls.bind((me, 5060))
	    ls.listen(4)
	    c = tcp(me)
	    c.bind((me, 0))
	    c.connect(split_hp(srv))
	    log("phone connected from %s:%d" % c.getsockname())
	    conn = Conn(c)
	    via = "%s:5060" % me
	    conn.send(build("REGISTER sip:%s SIP/2.0" % srv, [
	        ("Via", "SIP/2.0/TCP %s;branch=z9hG4bK%s" % (via, rnd())),
	        ("Max-Forwards", "70"), ("From", "<sip:phone@%s>;tag=%s" % (srv, rnd())),
	        ("To", "<sip:phone@%s>" % srv), ("Call-ID", rnd() + "@" + me),
	        ("CSeq", "1 REGISTER"),
	        ("Contact", "<sip:phone@%s;transport=tcp>" % via), ("Expires", "300")]))
	    m = conn.recv(5, "200 to REGISTER")
	    if not m or m.status != 200:
	        log("FAIL: REGISTER not accepted")
	        return 1
	    c.close()
	    log("phone closed its connection")
	    if not select.select([ls], [], [], 15)[0]:
	        log("FAIL: no connection to the Contact")
	        return 1
	    s, peer = ls.accept()
	    log("phone accepted a connection from %s:%d" % peer)
	    conn = Conn(s)
	    inv = conn.recv(5, "INVITE")
	    if not inv or inv.method != "INVITE":
	        log("FAIL: no INVITE")
	        return 1
	    media = Media(me, 16000)
	    ctc = [("Contact", "<sip:phone@%s;transport=tcp>" % via)]
	    conn.send(reply(inv, 200, "OK", ctc, sdp(me, 16000)))
	    ack = conn.recv(5, "ACK")
	    if not ack or ack.method != "ACK":
	        log("FAIL: no ACK")
	        return 1
	    peer = inv.sdp_media()
	    rtp = media.exchange(peer[0], peer[1], peer[2])
	    bye = conn.recv(10, "BYE")
	    if not bye or bye.method != "BYE":
	        log("FAIL: no BYE")
	        return 1
	    conn.send(reply(bye, 200, "OK"))
	    time.sleep(0.5)
	    log("phone %s" % ("ok" if rtp else "FAIL: media"))
	    return 0 if rtp else 1

	def server(me):
	    ls = tcp(me)
	    ls.bind((me, 5060))
	    ls.listen(4)
	    if not select.select([ls], [], [], 15)[0]:
	        log("FAIL: no connection")
	        return 1
	    s, peer = ls.accept()
	    log("server accepted a connection from %s:%d" % peer)
	    conn = Conn(s)
	    reg = conn.recv(5, "REGISTER")
	    if not reg or reg.method != "REGISTER":
	        log("FAIL: no REGISTER")
	        return 1
	    ctc = reg.get("Contact", "m")
	    uri = ctc.strip("<>").split(";")[0]
	    host, port = split_hp(uri.split("@")[1])
	    log("binding %s:%d (%s)" % (host, port, ctc))
	    conn.send(reply(reg, 200, "OK", [("Contact", "%s;expires=300" % ctc)]))
	    if conn.recv(10, "the phone's close") is not None:
	        log("FAIL: more than a REGISTER on the first connection")
	        return 1
	    log("the phone closed its connection")
	    s.close()
	    time.sleep(0.5)
	    c = tcp(me)
	    c.bind((me, 0))
	    c.settimeout(10)
	    try:
	        c.connect((host, port))
	    except OSError as e:
	        log("FAIL: no connection to the Contact: %s" % e)
	        return 1
	    c.settimeout(None)
	    log("server connected from %s:%d to the Contact" % c.getsockname())
	    conn = Conn(c)
	    via = "%s:%d" % c.getsockname()
	    ftag, cid, ruri = rnd(), rnd() + "@server", "sip:" + uri.split(":", 1)[1] + ";transport=tcp"

	    def req(method, n, body=""):
	        h = [("Via", "SIP/2.0/TCP %s;branch=z9hG4bK%s" % (via, rnd())),
	             ("Max-Forwards", "70"), ("From", "<sip:caller@%s>;tag=%s" % (me, ftag)),
	             ("To", to[0]), ("Call-ID", cid), ("CSeq", "%d %s" % (n, method)),
	             ("Contact", "<sip:caller@%s;transport=tcp>" % via)]
	        if body:
	            h.append(("Content-Type", "application/sdp"))
	        return build("%s %s SIP/2.0" % (method, ruri), h, body)

	    to = ["<%s>" % ruri]
	    media = Media(me, 20000)
	    conn.send(req("INVITE", 1, sdp(me, 20000)))
	    ok = conn.recv(8, "200 to INVITE")
	    if not ok or ok.is_req or ok.status != 200:
	        log("FAIL: INVITE not answered")
	        return 1
	    to[0] = ok.get("To", "t")
	    conn.send(req("ACK", 1))
	    peer = ok.sdp_media()
	    rtp = media.exchange(peer[0], peer[1], peer[2])
	    conn.send(req("BYE", 2))
	    ok = conn.recv(5, "200 to BYE")
	    if not ok or ok.is_req or ok.status != 200:
	        log("FAIL: BYE not answered")
	        return 1
	    log("server %s" % ("ok" if rtp else "FAIL: media"))
	    return 0 if rtp else 1

	if sys.argv[2] == "phone":
	    sys.exit(phone(sys.argv[3], sys.argv[4]))
	sys.exit(server(sys.argv[3]))
	EOF
}

tcp_register_then_new_connection() {
	local rc=0 nat
	topo_up
	write_peers
	topo_cap_start reconnect
	(exec ip netns exec "$TOPO_NS_SRV" timeout 40 python3 "$E2E_OUT/reconnect.py" \
		"$E2E_DIR/sipp" server "$SRV4" >"$E2E_OUT/reconnect-server.log" 2>&1) &
	SERVER_PID=$!
	TOPO_PIDS+=("$SERVER_PID")
	for _ in $(seq 1 50); do
		[[ $(srv ss -Hlnt) == *":5060 "* ]] && break
		sleep 0.1
	done
	cli timeout 40 python3 "$E2E_OUT/reconnect.py" "$E2E_DIR/sipp" phone "$CLI4" "$SRV4:5060" \
		>"$E2E_OUT/reconnect-phone.log" 2>&1 || rc=$?
	wait "$SERVER_PID" || rc=$?
	topo_ct >"$E2E_OUT/reconnect-conntrack.txt" 2>&1 || true
	topo_cap_stop
	sed 's/^/phone: /' "$E2E_OUT/reconnect-phone.log"
	sed 's/^/server: /' "$E2E_OUT/reconnect-server.log"
	[ "$rc" = 0 ]
	# the REGISTER's Contact named the NAT's port of the first connection
	nat=$(sed -n 's/^server accepted a connection from [0-9.]*:\([0-9]*\)$/\1/p' \
		"$E2E_OUT/reconnect-server.log")
	echo "first connection from NAT port $nat"
	grep -q "^binding $RTR_WAN4:$nat (<sip:phone@$RTR_WAN4:$nat;transport=tcp>)$" \
		"$E2E_OUT/reconnect-server.log"
	# the second connection came in through the router's pinhole to the
	# phone's listening port, from the server's own port
	grep -q "^phone accepted a connection from $SRV4:" "$E2E_OUT/reconnect-phone.log"
	grep -q '^phone ok$' "$E2E_OUT/reconnect-phone.log"
	grep -q '^server ok$' "$E2E_OUT/reconnect-server.log"
	# the INVITE left the server for the public address and reached the
	# phone at its own, its Request-URI mapped back
	[ "$(sip_dst "$CAP_SRV" '^INVITE ')" = "$RTR_WAN4:$nat" ]
	[ "$(sip_dst "$CAP_CLI" '^INVITE ')" = "$CLI4:5060" ]
	grep -q "^got INVITE sip:phone@$CLI4:5060;transport=tcp SIP/2.0" \
		"$E2E_OUT/reconnect-phone.log"
	# the new connection is sipalg's too: the answer reached the server
	# with the public address in Contact and SDP (and media flowed both
	# ways, "ok" above)
	[ "$(sip_field "$CAP_SRV" '^SIP/2.0 200' Contact 2)" = \
		"<sip:phone@$RTR_WAN4:$nat;transport=tcp>" ]
	[ "$(sip_field "$CAP_SRV" '^SIP/2.0 200' c= 2)" = "IN IP4 $RTR_WAN4" ]
	grep -q "sport=5060 dport=[0-9]* .*helper=sipalg" "$E2E_OUT/reconnect-conntrack.txt"
	topo_down
}

peer_module_load
e2e_test tcp-register-then-call-on-new-connection tcp_register_then_new_connection
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
