#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hostile peers cannot exhaust the router (issue 13): pinholes are bounded
# per call and per connection, a registration to a low port opens none,
# and only CAP_NET_ADMIN reads the counters.
#
#   phone (sa-cli)                router (sa-rtr)                server (sa-srv)
#   192.168.1.2:5070 (hostile) --- masquerade fully-random ---  198.51.100.2:5060
#   192.168.1.2:5060 (a phone)      nf_conntrack_expect_max 120
#
# The hostile flow sends ten INVITEs (ten Call-IDs) of 32 m=audio lines
# each, nobody answering. With the defaults (call_pinholes 4,
# pinhole_share 10%: 12 of 120) each INVITE opens RTP and RTCP of its first
# two lines and refuses 30 (call-limit), until the flow holds 12: the first
# three INVITEs open 4 each; the other seven are refused whole, 32 streams
# each (share). Before the limits, one INVITE opened 64 and the ten filled
# the kernel's table: the next phone's call got no pinhole, its RTP was
# lost. Here that phone, on another flow, registers and calls, and RTP and
# RTCP flow both ways (tests/e2e/sipp/sippeer.py counts them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"

CTL=$E2E_TOP/userspace/sipalgctl
EXPECT_MAX=/proc/sys/net/netfilter/nf_conntrack_expect_max
OLD_EXPECT_MAX=

restore() {
	topo_down
	[ -z "$OLD_EXPECT_MAX" ] || echo "$OLD_EXPECT_MAX" >"$EXPECT_MAX"
}
trap restore EXIT

ctl() { rtr "$CTL" "$@"; }

# one reason's count among the namespace's refused pinholes (0 if none)
refused() {
	ctl -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)["total"]
print(d.get("pinholes_refused_reasons", {}).get(sys.argv[1], 0))' "$1"
}

# the router's pinholes whose connection is the phone's flow from port $1
expectations_of() {
	ctl -j flows | python3 -c '
import json, sys
d = json.load(sys.stdin)
src = sys.argv[1]
print(sum(1 for p in d["pinholes"] if p["master"]["src"] == src))' "$CLI4:$1"
}

# ten INVITEs of 32 m= lines from one UDP flow, 192.168.1.2:5070
hostile_invites() {
	cli python3 - "$CLI4" "$SRV4" <<'EOF'
import socket, sys
cli, srv = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((cli, 5070))
for n in range(10):
    sdp = "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n" % (cli, cli)
    sdp += "".join("m=audio %d RTP/AVP 0\r\n" % (30000 + 2 * i + 100 * n) for i in range(32))
    msg = ("INVITE sip:x@%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:5070;branch=z9hG4bKh%d\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:h@%s>;tag=h%d\r\n"
           "To: <sip:x@%s>\r\n"
           "Call-ID: hostile%d@%s\r\n"
           "CSeq: 1 INVITE\r\n"
           "Contact: <sip:h@%s:5070>\r\n"
           "Content-Type: application/sdp\r\n"
           "Content-Length: %d\r\n\r\n" % (srv, cli, n, cli, n, srv, n, cli, cli, len(sdp))) + sdp
    s.sendto(msg.encode(), (srv, 5060))
print("sent 10 INVITEs of 32 m= lines from %s:5070" % cli)
EOF
}

hostile_then_call() {
	local n
	topo_up
	hostile_invites
	sleep 1
	ctl flows >"$E2E_OUT/hostile-flows.txt"
	echo "$(expectations_of 5070) pinholes of the hostile flow after its INVITEs"
	# another phone: registers and calls on its own flow, media both ways
	peer_server call --answer
	peer_phone call --sport 5060 --call
	server_ok call
	ctl stats
	n=$(expectations_of 5070)
	echo "the hostile flow holds $n expectations"
	[ "$n" = 12 ]
	[ "$(refused call-limit)" = 90 ]
	[ "$(refused share)" = 224 ]
	[ "$(refused kernel-full)" = 0 ]
	# the log names the flow
	dmesg | grep -E "pinhole to port [0-9]+ refused \(call-limit\) on udp $CLI4:5070 -> $SRV4:5060" | tail -1 | grep -q .
	topo_down
}

# a REGISTER whose Contact names port 80: no pinhole, counted
register_low_port() {
	topo_up
	peer_server reg
	peer_phone reg --sport 5060 --contact "$CLI4:80"
	server_ok reg
	ctl flows | tee "$E2E_OUT/reg-flows.txt"
	[ "$(expectations_of 5060)" = 0 ]
	[ "$(refused low-port)" = 1 ]
	ctl stats | tee "$E2E_OUT/reg-stats.txt"
	grep -Eq 'pinholes refused: low-port 1$' "$E2E_OUT/reg-stats.txt"
	topo_down
}

# only CAP_NET_ADMIN reads policies and counters; a port with nothing
# counted is the kernel's ENOENT: exit 1
reads_need_admin() {
	local rc
	topo_up
	ctl policy set udp 5060 force-rport
	rc=0
	rtr setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" stats \
		>"$E2E_OUT/np.out" 2>"$E2E_OUT/np.err" || rc=$?
	cat "$E2E_OUT/np.err"
	[ "$rc" = 5 ]
	[ ! -s "$E2E_OUT/np.out" ]
	grep -q "cannot read the counters: permission denied: needs CAP_NET_ADMIN" "$E2E_OUT/np.err"
	rc=0
	rtr setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" policy show \
		>"$E2E_OUT/np.out" 2>"$E2E_OUT/np.err" || rc=$?
	cat "$E2E_OUT/np.err"
	[ "$rc" = 5 ]
	[ ! -s "$E2E_OUT/np.out" ]
	grep -q "permission denied: needs CAP_NET_ADMIN" "$E2E_OUT/np.err"
	# root reads both
	ctl stats >/dev/null
	[ "$(ctl -j policy show)" = '[{"proto":"udp","port":5060,"family":"any","policy":["force-rport"]}]' ]
	rc=0
	ctl stats udp 5999 2>"$E2E_OUT/nf.err" || rc=$?
	cat "$E2E_OUT/nf.err"
	[ "$rc" = 1 ]
	grep -q "cannot read the counters of udp 5999: nothing counted for this port" "$E2E_OUT/nf.err"
	topo_down
}

modprobe nf_conntrack
OLD_EXPECT_MAX=$(cat "$EXPECT_MAX")
echo 120 >"$EXPECT_MAX"
# the module reads nf_conntrack_expect_max at load
e2e_module_unload
e2e_module_load
if [ -r /sys/module/sipalg/parameters/expect_max ]; then
	echo "sipalg reads nf_conntrack_expect_max $(cat /sys/module/sipalg/parameters/expect_max)"
fi
e2e_test pinholes-hostile-flow-bounded-other-call-rtp hostile_then_call
e2e_test pinholes-register-contact-port-80-refused register_low_port
e2e_test reads-need-cap-net-admin reads_need_admin
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
