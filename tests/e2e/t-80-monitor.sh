#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sipalgctl monitor: the router's events for a SIPp call over UDP and a
# call over TCP whose messages the phone splits over two segments, checked
# against the captures on both sides and against values put together here
# from the topology (tests/e2e/topo.sh) and the client's capture:
#
#   phone (sa-cli)                router (sa-rtr)                server (sa-srv)
#   192.168.1.2:5060  --- lan0 192.168.1.1 | 198.51.100.1 wan0 ---  198.51.100.2:5060
#                             masquerade fully-random, monitor here
#
# One event per message: as many events as SIP messages crossed the router
# (the server's capture sees every one of them, either way), and exactly one
# for the INVITE that the router held over two TCP segments; a UDP
# datagram sent twice gives two. A monitor in
# the client's namespace sees none of them, and one without CAP_NET_ADMIN
# is refused with exit status 5.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"
CTL=$E2E_TOP/userspace/sipalgctl
MON_PIDS=()
mon_cleanup() {
	local p
	for p in "${MON_PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null || true
	done
	topo_down
}
trap mon_cleanup EXIT

# mon_start NS TAG [ARGS]: sipalgctl -j monitor in namespace NS, in the
# background, events to $E2E_OUT/TAG.json; returns once it listens
mon_start() {
	local ns=$1 tag=$2
	shift 2
	ip netns exec "$ns" "$CTL" -j monitor "$@" >"$E2E_OUT/$tag.json" \
		2>"$E2E_OUT/$tag.err" &
	MON_PID=$!
	MON_PIDS+=("$MON_PID")
	# it has joined the group once its netlink socket exists and it waits
	sleep 1
	kill -0 "$MON_PID"
}

# mon_stop PID TAG: Ctrl-C; it exits 0 and says how many it showed and lost
mon_stop() {
	local pid=$1 tag=$2 rc=0
	sleep 0.5
	kill -INT "$pid"
	wait "$pid" || rc=$?
	echo "monitor $tag: exit $rc: $(cat "$E2E_OUT/$tag.err")"
	[ "$rc" = 0 ]
	grep -E -q '^sipalgctl: monitor: [0-9]+ events shown, 0 lost$' "$E2E_OUT/$tag.err"
}

# the number of SIP messages in a capture (any start line)
sip_all() {
	sip_count "$1" '^(SIP/2\.0 [0-9]|[A-Z]+ [^ ]+ SIP/2\.0)'
}

udp_call_events() {
	local cid via_c via_s src_s natport branch contact_s c_s n
	topo_up
	mon_start "$TOPO_NS_RTR" udp
	mon_start "$TOPO_NS_CLI" other
	OTHER_PID=$MON_PID
	mon_start "$TOPO_NS_RTR" udp-filter --call-id nobody@nowhere
	FILTER_PID=$MON_PID
	topo_cap_start udp
	topo_sipp_uas
	topo_sipp_uac
	topo_cap_stop
	mon_stop "$OTHER_PID" other
	mon_stop "$FILTER_PID" udp-filter
	mon_stop "${MON_PIDS[0]}" udp

	cid=$(sip_field "$CAP_CLI" '^INVITE ' Call-ID)
	via_c=$(sip_field "$CAP_CLI" '^INVITE ' Via)
	via_s=$(sip_field "$CAP_SRV" '^INVITE ' Via)
	contact_s=$(sip_field "$CAP_SRV" '^INVITE ' Contact)
	c_s=$(sip_field "$CAP_SRV" '^INVITE ' c=)
	src_s=$(sip_src "$CAP_SRV" '^INVITE ')
	natport=${src_s##*:}
	branch=${via_c#*;branch=}
	n=$(sip_all "$CAP_SRV")
	echo "Call-ID $cid, client Via $via_c, server Via $via_s from $src_s, $n messages"
	[ -n "$cid" ] && [ -n "$natport" ] && [ "$n" -ge 5 ]
	# what the Via must read, worked out from the topology: the phone's
	# 192.168.1.2:5060 becomes the router's 198.51.100.1 and the port
	# the NAT chose (the INVITE's source port at the server)
	[ "$via_c" = "SIP/2.0/UDP $CLI4:5060;branch=$branch" ]
	python3 - "$E2E_OUT/udp.json" "$cid" "$n" \
		"Via: SIP/2.0/UDP $CLI4:5060;branch=$branch" \
		"Via: SIP/2.0/UDP $RTR_WAN4:$natport;branch=$branch" \
		"Via: $via_s" "Contact: $contact_s" "c=$c_s" "$natport" <<'EOF'
import json, sys
path, cid, n, before, after, via_s, contact_s, c_s, natport = sys.argv[1:]
ev = [json.loads(l) for l in open(path)]
print("%d events: %s" % (len(ev), [(e["method"], e.get("status"), e["verdict"]) for e in ev]))
# one event per message that crossed the router
assert len(ev) == int(n), (len(ev), n)
assert all(e["call_id"] == cid and e["transport"] == "udp" for e in ev)
inv = [e for e in ev if e["method"] == "INVITE" and "status" not in e]
assert len(inv) == 1, inv
e = inv[0]
assert e["verdict"] == "rewritten" and e["reason"] is None, e
assert e["dir"] == "original" and e["cseq"] == 1, e
assert e["before"] == {"src": "192.168.1.2", "sport": 5060,
                       "dst": "198.51.100.2", "dport": 5060}, e["before"]
assert e["after"] == {"src": "198.51.100.1", "sport": int(natport),
                      "dst": "198.51.100.2", "dport": 5060}, e["after"]
vias = [x for x in e["edits"] if x["name"] == "Via"]
assert len(vias) == 1, e["edits"]
assert vias[0]["before"] == before, (vias[0], before)
assert vias[0]["after"] == after, (vias[0], after)
# and field by field what the server's capture shows
assert vias[0]["after"] == via_s, (vias[0], via_s)
by = {x["name"]: x["after"] for x in e["edits"]}
assert by["Contact"] == contact_s, (by, contact_s)
assert by["c="] == c_s, (by, c_s)
assert e["new_len"] - e["len"] == sum(len(x["after"]) - len(x["before"]) for x in e["edits"])
# the SDP's media pinholes opened with the INVITE
assert any(p["action"] == "opened" and p["class"] == "audio" for p in e["pinholes"]), e["pinholes"]
# the answer comes back: a 200 event in the reply direction
ok = [x for x in ev if x.get("status") == 200 and x["method"] == "INVITE"]
assert len(ok) == 1 and ok[0]["dir"] == "reply", ok
EOF
	# another namespace saw nothing; a Call-ID filter that matches nothing
	# shows nothing
	[ ! -s "$E2E_OUT/other.json" ]
	[ ! -s "$E2E_OUT/udp-filter.json" ]
	grep -q '^sipalgctl: monitor: 0 events shown, 0 lost$' "$E2E_OUT/other.err"
	topo_down
	MON_PIDS=()
}

tcp_split_events() {
	local n ninv c_s
	topo_up
	mon_start "$TOPO_NS_RTR" tcp
	topo_cap_start tcp
	peer_server tcp --tcp --answer
	peer_phone tcp --tcp --sport 0 --split --call
	server_ok tcp
	topo_cap_stop
	mon_stop "$MON_PID" tcp
	# the phone sent the INVITE in two segments: the first has no SDP
	[ -z "$(sip_field "$CAP_CLI" '^INVITE ' c=)" ]
	n=$(sip_all "$CAP_SRV")
	ninv=$(sip_count "$CAP_SRV" '^INVITE ')
	c_s=$(sip_field "$CAP_SRV" '^INVITE ' c=)
	echo "server got $n messages, $ninv INVITE, c=$c_s"
	[ "$ninv" = 1 ] && [ "$c_s" = "IN IP4 $RTR_WAN4" ]
	python3 - "$E2E_OUT/tcp.json" "$n" "c=$c_s" <<'EOF'
import json, sys
path, n, c_s = sys.argv[1:]
ev = [json.loads(l) for l in open(path)]
print("%d events: %s" % (len(ev), [(e["method"], e.get("status"), e["verdict"]) for e in ev]))
assert all(e["transport"] == "tcp" for e in ev)
assert len(ev) == int(n), (len(ev), n)
inv = [e for e in ev if e["method"] == "INVITE" and "status" not in e]
# held over two segments, released once: exactly one event
assert len(inv) == 1, inv
e = inv[0]
assert e["verdict"] == "rewritten", e
by = {x["name"]: x["after"] for x in e["edits"]}
assert by["c="] == c_s, (by, c_s)
assert by["Via"].startswith("Via: SIP/2.0/TCP 198.51.100.1:"), by
EOF
	topo_down
	MON_PIDS=()
}

# A UDP retransmission is a message of its own that leaves the router: the
# same OPTIONS datagram sent twice gives exactly two events, each with the
# same Via edit, and the server receives two rewritten copies
udp_retransmission_events() {
	local n sink
	topo_up
	mon_start "$TOPO_NS_RTR" retrans
	topo_cap_start retrans
	srv timeout 20 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5060))
for _ in range(2):
    s.recvfrom(65535)
' "$SRV4" &
	sink=$!
	sleep 1
	cli python3 -c '
import socket, sys, time
cli, srv = sys.argv[1], sys.argv[2]
msg = ("OPTIONS sip:ping@%s SIP/2.0\r\n"
       "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-retrans-1\r\n"
       "Max-Forwards: 70\r\n"
       "From: <sip:phone@%s>;tag=r1\r\n"
       "To: <sip:ping@%s>\r\n"
       "Call-ID: retrans-1@%s\r\n"
       "CSeq: 7 OPTIONS\r\n"
       "Contact: <sip:phone@%s:5060>\r\n"
       "Content-Length: 0\r\n\r\n") % (srv, cli, cli, srv, cli, cli)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((cli, 5060))
for _ in range(2):
    s.sendto(msg.encode(), (srv, 5060))
    time.sleep(0.5)
' "$CLI4" "$SRV4"
	wait "$sink"
	topo_cap_stop
	mon_stop "$MON_PID" retrans
	n=$(sip_count "$CAP_SRV" '^OPTIONS ')
	echo "the server received $n OPTIONS"
	[ "$n" = 2 ]
	python3 - "$E2E_OUT/retrans.json" "Via: SIP/2.0/UDP $CLI4:5060;branch=z9hG4bK-retrans-1" \
		"$RTR_WAN4" "retrans-1@$CLI4" <<'EOF'
import json, sys
path, before, wan, cid = sys.argv[1:]
ev = [json.loads(l) for l in open(path)]
print("%d events: %s" % (len(ev), [(e["method"], e["cseq"], e["verdict"]) for e in ev]))
assert len(ev) == 2, ev
for e in ev:
    assert e["method"] == "OPTIONS" and e["cseq"] == 7 and e["call_id"] == cid, e
    assert e["verdict"] == "rewritten", e
    vias = [x for x in e["edits"] if x["name"] == "Via"]
    assert len(vias) == 1 and vias[0]["before"] == before, e["edits"]
    assert vias[0]["after"].startswith("Via: SIP/2.0/UDP %s:" % wan), vias
assert ev[0]["edits"] == ev[1]["edits"], (ev[0]["edits"], ev[1]["edits"])
EOF
	topo_down
	MON_PIDS=()
}

# without CAP_NET_ADMIN: refused, exit 5, the reason on stderr
unprivileged_refused() {
	local rc=0 err
	topo_up
	err=$(rtr setpriv --reuid 65534 --regid 65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$CTL" monitor 2>&1) || rc=$?
	echo "exit $rc: $err"
	[ "$rc" = 5 ]
	[[ $err == *"permission denied"*"CAP_NET_ADMIN in this network namespace"* ]]
	topo_down
}

# a stopped monitor: text output, --count stops it by itself
text_and_count() {
	local rc=0
	topo_up
	(rtr timeout 60 "$CTL" monitor --count 1 --port 5060 >"$E2E_OUT/text.txt" \
		2>"$E2E_OUT/text.err") &
	MON_PID=$!
	sleep 1
	topo_sipp_uas
	topo_sipp_uac
	wait "$MON_PID" || rc=$?
	cat "$E2E_OUT/text.txt" "$E2E_OUT/text.err"
	[ "$rc" = 0 ]
	[ "$(grep -c '^=== ' "$E2E_OUT/text.txt")" = 1 ]
	grep -E -q '^=== [0-9:.]+  INVITE  \(CSeq 1 INVITE\)  udp original  rewritten$' "$E2E_OUT/text.txt"
	grep -E -q "^    \\* Via: SIP/2.0/UDP $RTR_WAN4:[0-9]+;branch=" "$E2E_OUT/text.txt"
	grep -E -q "^      Via: SIP/2.0/UDP $CLI4:5060;branch=" "$E2E_OUT/text.txt"
	grep -q '^sipalgctl: monitor: 1 events shown, 0 lost$' "$E2E_OUT/text.err"
	topo_down
}

peer_module_load
e2e_test monitor-udp-call-events udp_call_events
e2e_test monitor-tcp-split-one-event tcp_split_events
e2e_test monitor-udp-retransmission-two-events udp_retransmission_events
e2e_test monitor-unprivileged-refused unprivileged_refused
e2e_test monitor-text-and-count text_and_count
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
