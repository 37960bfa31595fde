#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sipalgctl monitor when the TCP path gives up on bytes it never framed as
# a message: exactly one event, verdict unchanged with the reason that
# `sipalgctl stats` counts, no method, CSeq or Call-ID, and the bytes
# reach the server as the phone sent them.
#
#   phone (sa-cli)                router (sa-rtr)                server (sa-srv)
#   192.168.1.2       --- lan0 192.168.1.1 | 198.51.100.1 wan0 ---  198.51.100.2:5060/tcp
#                             masquerade fully-random, monitor here
#
# - over the hold bound: an OPTIONS whose header block is about 12 KB, sent
#   1,000 bytes at a time; the router holds at most tcp_hold_max (8192)
#   bytes of it, then lets the stream pass unchanged: "tcp-overflow";
# - a hold that expires: the first 200 bytes of an OPTIONS, then 3 s
#   (tcp_hold_ms is 2000), then the rest: "tcp-hold-expired".
#
# And a segment the TCP path drops: the router loses the phone's first
# data segment before conntrack sees it (an nft rule at raw priority), so
# the second, sent right after it, cannot be placed in the stream. It is
# dropped, counted "tcp-gap", and logged to the netfilter log (a logger
# bound in the router's namespace) as the in-tree helpers log theirs:
# "nf_ct_sipalg: dropping packet: tcp segment cannot be placed: tcp-gap"
# (from Linux 7 the prefix is "helper sipalg ").
# The phone sends both again and the server gets the whole message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
CTL=$E2E_TOP/userspace/sipalgctl
MON_PIDS=()
gu_cleanup() {
	local p
	for p in "${MON_PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null || true
	done
	topo_down
}
trap gu_cleanup EXIT

# gu_send TAG MODE: the phone's one TCP connection to the server, which
# keeps what it receives in $E2E_OUT/TAG.srv; what was sent is in TAG.cli
gu_send() {
	local tag=$1 mode=$2 sink
	srv timeout 30 python3 -c '
import socket, sys
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], 5060))
l.listen(1)
c, _ = l.accept()
got = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    got += b
open(sys.argv[2], "wb").write(got)
' "$SRV4" "$E2E_OUT/$tag.srv" &
	sink=$!
	sleep 1
	cli timeout 30 python3 -c '
import socket, sys, time
cli, srv, mode, out = sys.argv[1:]
head = ("OPTIONS sip:ping@%s SIP/2.0\r\n"
        "Via: SIP/2.0/TCP %s:5060;branch=z9hG4bK-giveup-1\r\n"
        "Max-Forwards: 70\r\n") % (srv, cli)
pad = ""
if mode == "overflow":
    pad = "".join("X-Pad-%03d: %s\r\n" % (i, "a" * 88) for i in range(120))
tail = ("From: <sip:phone@%s>;tag=g1\r\n"
        "To: <sip:ping@%s>\r\n"
        "Call-ID: giveup-1@%s\r\n"
        "CSeq: 9 OPTIONS\r\n"
        "Contact: <sip:phone@%s:5060;transport=tcp>\r\n"
        "Content-Length: 0\r\n\r\n") % (cli, srv, cli, cli)
msg = (head + pad + tail).encode()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.connect((srv, 5060))
if mode == "overflow":
    for i in range(0, len(msg), 1000):
        s.sendall(msg[i:i + 1000])
        time.sleep(0.1)
elif mode == "gap":
    # two segments, the second right after the first (no Nagle wait)
    s.sendall(msg[:200])
    s.sendall(msg[200:])
else:
    s.sendall(msg[:200])
    time.sleep(3)
    s.sendall(msg[200:])
time.sleep(1)
s.shutdown(socket.SHUT_WR)
while s.recv(65536):
    pass
open(out, "wb").write(msg)
print("sent %d bytes" % len(msg))
' "$CLI4" "$SRV4" "$mode" "$E2E_OUT/$tag.cli"
	wait "$sink"
}

# gu_check TAG REASON: one event in each monitor, the same, as expected
gu_check() {
	local tag=$1 reason=$2
	cmp "$E2E_OUT/$tag.cli" "$E2E_OUT/$tag.srv"
	echo "the server received the $(stat -c %s "$E2E_OUT/$tag.srv") bytes sent, unchanged"
	python3 - "$E2E_OUT/$tag-count.json" "$E2E_OUT/$tag.json" "$reason" \
		"$CLI4" "$SRV4" "$RTR_WAN4" <<'PY'
import json, sys
counted, free, reason, cli, srv, wan = sys.argv[1:]
a = [json.loads(l) for l in open(counted)]
b = [json.loads(l) for l in open(free)]
print("events: %s" % [(e["method"], e["verdict"], e["reason"]) for e in b])
assert len(a) == 1 and len(b) == 1, (a, b)
e = b[0]
assert a[0] == e, (a[0], e)
assert e["transport"] == "tcp" and e["dir"] == "original", e
assert e["verdict"] == "unchanged" and e["reason"] == reason, e
# never framed: nothing of a message's
assert e["method"] is None and e["call_id"] is None, e
assert "cseq" not in e and "status" not in e, e
assert e.get("edits", []) == [], e
assert e["before"]["src"] == cli and e["before"]["dst"] == srv, e["before"]
assert e["before"]["dport"] == 5060 and e["after"]["dport"] == 5060, e
assert e["after"]["src"] == wan and e["after"]["dst"] == srv, e["after"]
assert e["new_len"] == e["len"] and e["len"] > 0, e
PY
	# the same reason, counted once in stats
	rtr "$CTL" stats | tee "$E2E_OUT/$tag.stats" | grep -F "$reason"
}

gu_run() {
	local tag=$1 mode=$2 reason=$3 rc=0 free
	topo_up
	rtr timeout 60 "$CTL" -j monitor --count 1 >"$E2E_OUT/$tag-count.json" \
		2>"$E2E_OUT/$tag-count.err" &
	MON_PID=$!
	MON_PIDS+=("$MON_PID")
	# not through rtr(): a function in the background would take the SIGINT
	ip netns exec "$TOPO_NS_RTR" "$CTL" -j monitor >"$E2E_OUT/$tag.json" \
		2>"$E2E_OUT/$tag.err" &
	free=$!
	MON_PIDS+=("$free")
	sleep 1
	gu_send "$tag" "$mode"
	wait "$MON_PID" || rc=$?
	echo "monitor --count 1: exit $rc: $(cat "$E2E_OUT/$tag-count.err")"
	[ "$rc" = 0 ]
	sleep 0.5
	kill -INT "$free"
	rc=0
	wait "$free" || rc=$?
	echo "monitor: exit $rc: $(cat "$E2E_OUT/$tag.err")"
	[ "$rc" = 0 ]
	grep -q '^sipalgctl: monitor: 1 events shown, 0 lost$' "$E2E_OUT/$tag.err"
	gu_check "$tag" "$reason"
	topo_down
	MON_PIDS=()
}

# the phone's first data segment to the server is lost at the router
gap_loss() {
	rtr nft -f - <<-EOF
	table inet t83gap {
		chain pre {
			type filter hook prerouting priority raw; policy accept;
			iifname "lan0" tcp dport 5060 meta length > 100 numgen inc mod 1000000 < 1 counter drop
		}
	}
	EOF
}

tcp_gap_drop_logged() {
	local allns klog rc=0
	topo_up
	gap_loss
	modprobe nf_log_syslog
	allns=$(sysctl -n net.netfilter.nf_log_all_netns)
	sysctl -qw net.netfilter.nf_log_all_netns=1
	rtr sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4
	gu_send gap gap || rc=$?
	rtr sysctl -qw net.netfilter.nf_log.2=NONE
	sysctl -qw net.netfilter.nf_log_all_netns="$allns"
	[ "$rc" = 0 ]
	echo "lost at the router: $(rtr nft list chain inet t83gap pre | grep -o 'packets [0-9]*')"
	rtr "$CTL" stats | tee "$E2E_OUT/gap.stats" | grep -F tcp-gap
	# the whole message reached the server, after the drop
	grep -q $'^CSeq: 9 OPTIONS\r$' "$E2E_OUT/gap.srv"
	[[ $(tail -c 4 "$E2E_OUT/gap.srv" | od -An -tx1 | tr -d ' \n') == 0d0a0d0a ]]
	klog=$(dmesg | grep -E "(nf_ct_sipalg: |helper sipalg )dropping packet:" || true)
	echo "netfilter log: ${klog:-nothing}"
	grep -qE "(nf_ct_sipalg: |helper sipalg )dropping packet: tcp segment cannot be placed: tcp-gap IN=" <<<"$klog"
	topo_down
}

tcp_overflow_event() { gu_run overflow overflow tcp-overflow; }
tcp_expired_event() { gu_run expired expired tcp-hold-expired; }

e2e_module_load
e2e_test monitor-tcp-overflow-one-event tcp_overflow_event
e2e_test monitor-tcp-hold-expired-one-event tcp_expired_event
e2e_test tcp-gap-drop-netfilter-log tcp_gap_drop_logged
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
