#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Each per-port policy changes what crosses the router the way it claims.
#
#   phone (sa-cli)                 router (sa-rtr)                 registrar (sa-srv)
#   192.168.1.2 (and .3) -- lan0 192.168.1.1 | 198.51.100.1 wan0 -- 198.51.100.2:5060
#                          masquerade fully-random, ct helper sipalg,
#                          sipalgctl policy ... in the router's namespace
#
# The registrar (sipp/sippeer.py) answers to the source IP and the top Via's
# port, or to the source port when the Via has ;rport (RFC 3261 / 3581); it
# has no route back to 192.168.1.0/24.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
trap topo_down EXIT
. "$(dirname "$0")/sipp/peer.sh"

CTL=$E2E_TOP/userspace/sipalgctl
ctl() { rtr "$CTL" "$@"; }

# one counter of udp/5060 in the router's namespace
ctr() {
	ctl -j stats udp 5060 | python3 -c '
import json, sys
d = json.load(sys.stdin)["ports"][0]
k = sys.argv[1]
if k.startswith("unchanged:"):
    print(d["unchanged_reasons"].get(k.split(":", 1)[1], 0))
elif k.startswith("dropped:"):
    print(d["dropped_reasons"].get(k.split(":", 1)[1], 0))
else:
    print(d[k])' "$1"
}

# the payload of the first message of a capture, as text
first_msg() {
	sip_msgs "$1" | awk '/^@/ {n++} n == 1 && !/^@/'
}

# A phone without rport support that sends from an ephemeral port but
# writes 5060 in its Via and listens only where it sends from. Without a
# policy the ALG does what RFC 3261 asks for such a Via: the registrar's
# answer comes back through the NAT and is delivered to the phone's Via port
# 5060, where this phone does not listen: no registration, whatever the Via
# rewriting. force-rport adds ;rport and sends UDP responses back to the
# port the request came from: the answer reaches the phone.
force_rport_makes_it_register() {
	local pub
	topo_up
	# without a policy: no answer reaches the phone
	topo_cap_start frp0
	peer_server frp0 --respond via --timeout 20
	if peer_phone frp0 --sport 0 --via "$CLI4:5060"; then
		echo "the phone registered without force-rport: the premise of this test does not hold"
		return 1
	fi
	topo_cap_stop
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	# the answers went to 5060, not to the port the phone sent from
	[ "$(sip_dst "$CAP_CLI" '^SIP/2.0 200')" = "$CLI4:5060" ]
	[ "$(sip_src "$CAP_CLI" '^REGISTER ')" != "$CLI4:5060" ]

	ctl policy set udp 5060 force-rport
	topo_cap_start frp1
	peer_server frp1 --respond via
	peer_phone frp1 --sport 0 --via "$CLI4:5060"
	server_ok frp1
	topo_cap_stop
	# the phone sent no rport; the registrar got one and answered to the
	# port the REGISTER came from
	sip_field "$CAP_CLI" '^REGISTER ' Via | tee /dev/stderr | grep -v -q rport
	sip_field "$CAP_SRV" '^REGISTER ' Via | tee /dev/stderr | grep -q ';rport'
	pub=$(sip_src "$CAP_SRV" '^REGISTER ')
	[[ $pub == "$RTR_WAN4":* ]]
	[ "$(sip_dst "$CAP_SRV" '^SIP/2.0 200')" = "$pub" ]
	# and it came back to the phone's sending port
	[ "$(sip_dst "$CAP_CLI" '^SIP/2.0 200')" = "$(sip_src "$CAP_CLI" '^REGISTER ')" ]
	[ "$(ctr rewritten)" -ge 1 ]
	topo_down
}

# static-port: with masquerade fully-random, the phone's 5060 survives the
# NAT when it is free; a second phone on 5060 to the same server cannot
# have it (the mapping is taken) and gets the NAT's choice, counted
static_port_keeps_5060() {
	local pub
	topo_up
	cli ip addr add 192.168.1.3/24 dev eth0
	# control: the NAT picks a random port
	topo_cap_start sp0
	peer_server sp0 --respond via
	peer_phone sp0 --sport 5060 --bind "$CLI4"
	server_ok sp0
	topo_cap_stop
	pub=$(sip_src "$CAP_SRV" '^REGISTER ')
	echo "without static-port: $pub"
	[[ $pub == "$RTR_WAN4":* ]]
	[ "$pub" != "$RTR_WAN4:5060" ]
	rtr conntrack -F 2>/dev/null

	ctl policy set udp 5060 static-port
	ctl stats reset
	topo_cap_start sp1
	peer_server sp1 --respond via --registers 2
	peer_phone sp1a --sport 5060 --bind "$CLI4"
	peer_phone sp1b --sport 5060 --bind 192.168.1.3
	server_ok sp1
	topo_cap_stop
	# the first keeps 5060, the second one falls back
	[ "$(sip_src "$CAP_SRV" '^REGISTER ' 1)" = "$RTR_WAN4:5060" ]
	pub=$(sip_src "$CAP_SRV" '^REGISTER ' 2)
	echo "second phone: $pub"
	[[ $pub == "$RTR_WAN4":* ]]
	[ "$pub" != "$RTR_WAN4:5060" ]
	# the rewritten Via and Contact follow the kept port
	sip_field "$CAP_SRV" '^REGISTER ' Via 1 | grep -q "^SIP/2.0/UDP $RTR_WAN4:5060;"
	[ "$(ctr static_port_kept)" = 1 ]
	[ "$(ctr static_port_fallback)" = 1 ]
	topo_down
}

# the same over IPv6 (the router masquerades IPv6 too); a policy for IPv6
# only is enough
static_port_ipv6() {
	local pub
	topo_up
	ctl -6 policy set udp 5060 static-port
	topo_cap_start sp6
	PEER_FAM=6 peer_server sp6 --respond via
	PEER_FAM=6 peer_phone sp6 --sport 5060
	server_ok sp6
	topo_cap_stop
	pub=$(sip_src "$CAP_SRV" '^REGISTER ')
	echo "IPv6 REGISTER from $pub"
	[ "$pub" = "[$RTR_WAN6]:5060" ]
	[ "$(ctr static_port_kept)" = 1 ]
	topo_down
}

# a router that does not NAT leaves static-port nothing to do: the flow
# keeps its addresses (the policy never adds a NAT of its own)
static_port_needs_nat() {
	topo_up
	# take the masquerade away, route the client's network instead
	rtr nft flush chain inet sipalg_topo postrouting
	rtr conntrack -F 2>/dev/null
	srv ip route add 192.168.1.0/24 via "$RTR_WAN4"
	ctl policy set udp 5060 static-port
	topo_cap_start spn
	peer_server spn --respond via
	peer_phone spn --sport 5070
	server_ok spn
	topo_cap_stop
	[ "$(sip_src "$CAP_SRV" '^REGISTER ')" = "$CLI4:5070" ]
	[ "$(ctr static_port_kept)" = 0 ]
	[ "$(ctr static_port_fallback)" = 0 ]
	topo_down
}

# disable: the message crosses byte for byte as the phone sent it, counted
# as unchanged (policy-disabled), and the helper opens no pinhole
disable_leaves_it_alone() {
	local before after
	topo_up
	ctl policy set udp 5060 disable
	topo_cap_start dis
	peer_server dis --respond source
	peer_phone dis --sport 5064 --rport
	server_ok dis
	topo_cap_stop
	before=$(first_msg "$CAP_CLI")
	after=$(first_msg "$CAP_SRV")
	echo "$before"
	echo "$before" | grep -q "^Via: SIP/2.0/UDP $CLI4:5064;"
	[ "$before" = "$after" ]
	# the 200 is left alone too
	[ "$(sip_msgs "$CAP_SRV" | awk '/^@/ {n++} n == 2 && !/^@/')" = \
		"$(sip_msgs "$CAP_CLI" | awk '/^@/ {n++} n == 2 && !/^@/')" ]
	[ "$(ctr rewritten)" = 0 ]
	[ "$(ctr unchanged:policy-disabled)" -ge 2 ]
	[ "$(ctr pinholes_opened)" = 0 ]
	if rtr conntrack -L expect 2>/dev/null | grep sipalg; then
		echo "a pinhole was opened for a disabled port"
		return 1
	fi
	topo_down
}

# default (no policy): the same phone's REGISTER is rewritten, counted
default_rewrites_and_counts() {
	topo_up
	topo_cap_start def
	peer_server def --respond source
	peer_phone def --sport 5064 --rport
	server_ok def
	topo_cap_stop
	sip_field "$CAP_SRV" '^REGISTER ' Via | grep -q "^SIP/2.0/UDP $RTR_WAN4:"
	[ "$(ctr seen)" -ge 2 ]
	[ "$(ctr rewritten)" -ge 2 ]
	# the namespace totals include the port's counts
	[ "$(ctl -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["seen"])')" -ge 2 ]
	# flows lists the connection with its NAT mapping
	ctl -j flows | tee /dev/stderr | python3 -c '
import json, sys
d = json.load(sys.stdin)
c = [x for x in d["connections"] if x["orig"]["src"] == sys.argv[1]]
assert len(c) == 1, d
c = c[0]
assert c["proto"] == "udp" and c["orig"]["dst"] == sys.argv[2], c
assert c["reply"]["src"] == sys.argv[2], c
assert c["reply"]["dst"].startswith(sys.argv[3] + ":"), c' "$CLI4:5064" "$SRV4:5060" "$RTR_WAN4"
	ctl flows >"$E2E_OUT/flows.txt"
	grep -q "^udp  $CLI4:5064 -> $SRV4:5060  reply $SRV4:5060 -> $RTR_WAN4:" "$E2E_OUT/flows.txt"
	topo_down
}

# a policy change acts on the next message of an existing connection: two
# REGISTERs on one UDP flow, disable for the first only
change_applies_to_existing_flow() {
	topo_up
	ctl policy set udp 5060 disable
	topo_cap_start chg
	peer_server chg --respond source --registers 2
	peer_phone chga --sport 5066 --rport
	ctl policy del udp 5060
	peer_phone chgb --sport 5066 --rport
	server_ok chg
	topo_cap_stop
	# one conntrack flow carried both
	[ "$(topo_ct -p udp --orig-port-src 5066 | wc -l)" = 1 ]
	sip_field "$CAP_SRV" '^REGISTER ' Via 1 | grep -q "^SIP/2.0/UDP $CLI4:5066;"
	sip_field "$CAP_SRV" '^REGISTER ' Via 2 | grep -q "^SIP/2.0/UDP $RTR_WAN4:"
	topo_down
}

# Raw UDP datagrams through the router: udp_sink in the server records
# every datagram it gets (one hex line each) until "done" (then a line
# "done") or 10 s of silence; udp_send in the client sends files in order,
# 0.3 s apart, from one source port, then "done" (not SIP at all: in lower
# case, it cannot be the start of a SIP message).
UDPX=$E2E_OUT/udpx.py
cat >"$UDPX" <<'PY'
import socket, sys, time
if sys.argv[1] == "sink":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], 5060))
    s.settimeout(10)
    with open(sys.argv[3], "w") as out:
        while True:
            try:
                d, _ = s.recvfrom(65536)
            except socket.timeout:
                break
            if d == b"done":
                out.write("done\n")
                break
            out.write(d.hex() + "\n")
            out.flush()
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[2], int(sys.argv[3])))
    dst = (sys.argv[4], 5060)
    for f in sys.argv[5:]:
        s.sendto(open(f, "rb").read(), dst)
        time.sleep(0.3)
    s.sendto(b"done", dst)
PY

udp_sink() {
	local out=$1
	rm -f "$out"
	topo_bg "$TOPO_NS_SRV" python3 "$UDPX" sink "$SRV4" "$out"
	SINK_PID=${TOPO_PIDS[-1]}
	for _ in $(seq 1 50); do
		srv ss -Hlnu | grep -q ':5060 ' && return 0
		sleep 0.1
	done
	return 1
}

udp_send() {
	local sport=$1
	shift
	cli python3 "$UDPX" send "$CLI4" "$sport" "$SRV4" "$@"
	wait "$SINK_PID"
}

# does the sink's record $1 hold the datagram of file $2, byte for byte?
sink_has() {
	grep -q -x "$(od -An -v -tx1 "$2" | tr -d ' \n')" "$1"
}

# what strict is for: a phone sends a REGISTER whose top Via is malformed
# (rport twice: the ALG cannot rewrite it safely), then a good one. With
# strict on the port the malformed one never reaches the registrar and is
# counted as dropped, bad-via; the good one crosses rewritten. Without
# strict the malformed one crosses byte for byte, counted as unchanged.
strict_drops_malformed() {
	local bad=$E2E_OUT/strict-bad.sip good=$E2E_OUT/strict-good.sip klog cost
	printf '%s\r\n' 'REGISTER sip:198.51.100.2 SIP/2.0' \
		"Via: SIP/2.0/UDP $CLI4:5072;branch=z9hG4bK-strict-1;rport;rport" \
		'From: <sip:100@198.51.100.2>;tag=s1' 'To: <sip:100@198.51.100.2>' \
		'Call-ID: strict-bad' 'CSeq: 1 REGISTER' "Contact: <sip:100@$CLI4:5072>" \
		'Content-Length: 0' '' >"$bad"
	printf '%s\r\n' 'REGISTER sip:198.51.100.2 SIP/2.0' \
		"Via: SIP/2.0/UDP $CLI4:5072;branch=z9hG4bK-strict-2;rport" \
		'From: <sip:100@198.51.100.2>;tag=s2' 'To: <sip:100@198.51.100.2>' \
		'Call-ID: strict-good' 'CSeq: 2 REGISTER' "Contact: <sip:100@$CLI4:5072>" \
		'Content-Length: 0' '' >"$good"
	# the premise: offline, the ALG refuses the first and drops it
	# under strict (exit 3), and forwards the second
	set +e
	"$CTL" rewrite --snat "$CLI4:5072=$RTR_WAN4:40000" --peer "$SRV4:5060" \
		--policy strict "$bad" >/dev/null 2>"$E2E_OUT/strict-rewrite.err"
	[ $? = 3 ] || { set -e; cat "$E2E_OUT/strict-rewrite.err"; return 1; }
	set -e
	grep -q "dropped by policy strict: bad-via" "$E2E_OUT/strict-rewrite.err"
	"$CTL" rewrite --snat "$CLI4:5072=$RTR_WAN4:40000" --peer "$SRV4:5060" \
		--policy strict "$good" >/dev/null

	topo_up
	ctl policy set udp 5060 strict
	ctl stats reset
	# the drop is logged rate-limited (net_ratelimit): no limit here, so
	# that earlier tests' messages cannot hide it
	cost=$(sysctl -n net.core.message_cost)
	sysctl -qw net.core.message_cost=0
	# and to the netfilter log (nf_ct_helper_log), once a logger is bound
	# for IPv4 in the router's namespace
	modprobe nf_log_syslog
	allns=$(sysctl -n net.netfilter.nf_log_all_netns)
	sysctl -qw net.netfilter.nf_log_all_netns=1
	rtr sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4
	topo_cap_start strict
	udp_sink "$E2E_OUT/strict-sink.hex"
	udp_send 5072 "$bad" "$good"
	sysctl -qw net.core.message_cost="$cost"
	rtr sysctl -qw net.netfilter.nf_log.2=NONE
	sysctl -qw net.netfilter.nf_log_all_netns="$allns"
	topo_cap_stop
	# both left the phone, only the good one reached the registrar,
	# rewritten to the router's public address
	[ "$(sip_count "$CAP_CLI" '^REGISTER ')" = 2 ]
	[ "$(sip_count "$CAP_SRV" '^REGISTER ')" = 1 ]
	[ "$(sip_field "$CAP_SRV" '^REGISTER ' Call-ID)" = strict-good ]
	sip_field "$CAP_SRV" '^REGISTER ' Via | grep -q "^SIP/2.0/UDP $RTR_WAN4:[0-9]*;branch=z9hG4bK-strict-2;rport$"
	# the registrar got the good one and the "done" datagram: what is not
	# SIP at all passes under strict
	cut -c 1-60 "$E2E_OUT/strict-sink.hex"
	[ "$(sed -n '$p' "$E2E_OUT/strict-sink.hex")" = "done" ]
	[ "$(wc -l <"$E2E_OUT/strict-sink.hex")" = 2 ]
	if sink_has "$E2E_OUT/strict-sink.hex" "$good"; then
		echo "the good REGISTER crossed unchanged"
		return 1
	fi
	if sink_has "$E2E_OUT/strict-sink.hex" "$bad"; then
		echo "the malformed REGISTER reached the registrar"
		return 1
	fi
	# counted: dropped, with the reason, in text and JSON
	[ "$(ctr seen)" = 3 ]
	[ "$(ctr dropped)" = 1 ]
	[ "$(ctr dropped:bad-via)" = 1 ]
	[ "$(ctr unchanged:bad-via)" = 0 ]
	[ "$(ctr unchanged:not-sip)" = 1 ]
	[ "$(ctr rewritten)" = 1 ]
	ctl stats udp 5060 | tee /dev/stderr >"$E2E_OUT/strict-stats.txt"
	grep -q -x "    dropped: bad-via 1" "$E2E_OUT/strict-stats.txt"
	# and logged
	klog=$(dmesg)
	[[ $klog == *"udp port 5060: message dropped by policy strict: bad-via"* ]]
	# nf_ct_helper_log's prefix: "nf_ct_sipalg: " up to 6.x, "helper
	# sipalg " in 7.x
	grep -qE "(nf_ct_sipalg: |helper sipalg )dropping packet: policy strict: bad-via IN=" <<<"$klog"

	# without strict: the malformed one crosses as the phone sent it
	ctl policy del udp 5060
	ctl stats reset
	topo_cap_start nostrict
	udp_sink "$E2E_OUT/nostrict-sink.hex"
	udp_send 5072 "$bad" "$good"
	topo_cap_stop
	[ "$(sip_count "$CAP_SRV" '^REGISTER ')" = 2 ]
	[ "$(sip_field "$CAP_SRV" '^REGISTER ' Call-ID 1)" = strict-bad ]
	sink_has "$E2E_OUT/nostrict-sink.hex" "$bad"
	sip_field "$CAP_SRV" '^REGISTER ' Via 2 | grep -q "^SIP/2.0/UDP $RTR_WAN4:"
	[ "$(ctr dropped)" = 0 ]
	[ "$(ctr unchanged:bad-via)" = 1 ]
	[ "$(ctr rewritten)" = 1 ]
	topo_down
}

# policies of another namespace do not reach the router's traffic
other_netns_policy_invisible() {
	topo_up
	ip netns add sa-other
	ip netns exec sa-other "$CTL" policy set udp 5060 disable
	topo_cap_start oth
	peer_server oth --respond source
	peer_phone oth --sport 5068 --rport
	server_ok oth
	topo_cap_stop
	ip netns del sa-other
	sip_field "$CAP_SRV" '^REGISTER ' Via | grep -q "^SIP/2.0/UDP $RTR_WAN4:"
	topo_down
}

if [ ! -x "$CTL" ]; then
	echo "FAIL sipalgctl-built: $CTL missing: build it on the host first (make ctl)"
	e2e_finish
	exit 1
fi
e2e_module_load
e2e_test policy-force-rport-no-rport-phone-registers force_rport_makes_it_register
e2e_test policy-static-port-keeps-5060 static_port_keeps_5060
e2e_test policy-static-port-ipv6 static_port_ipv6
e2e_test policy-static-port-needs-nat static_port_needs_nat
e2e_test policy-disable-byte-identical disable_leaves_it_alone
e2e_test policy-default-rewrites-and-counts default_rewrites_and_counts
e2e_test policy-change-applies-to-existing-flow change_applies_to_existing_flow
e2e_test policy-other-netns-invisible other_netns_policy_invisible
e2e_test policy-strict-drops-malformed strict_drops_malformed
e2e_finish
