#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unloading the module with policies set in several namespaces and SIP
# traffic flowing through the router is clean, and no policy survives it.
#
#   phone (sa-cli)                 router (sa-rtr)                 server (sa-srv)
#   192.168.1.2: a new UDP flow -- masquerade fully-random, ---- 198.51.100.2:5060
#   every few ms (OPTIONS from    policies force-rport,static-port   answers 200
#   fresh ports) + REGISTERs      on udp/5060 (static-port hook busy)
#                                 sa-extra: a namespace with its own policies
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
trap 'topo_down; ip netns del sa-extra 2>/dev/null || true' EXIT

CTL=$E2E_TOP/userspace/sipalgctl
ctl() { rtr "$CTL" "$@"; }

# OPTIONS from a new socket (so a new flow) each round, both families;
# the server answers every request to its source
traffic() {
	python3 - "$@" <<'PY'
import socket, sys, time, os
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
src, dst = sys.argv[2], sys.argv[3]
host = "[%s]" % dst if ":" in dst else dst
shost = "[%s]" % src if ":" in src else src
n = 0
while True:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    port = s.getsockname()[1]
    msg = ("OPTIONS sip:%s:5060 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%d\r\n"
           "From: <sip:load@%s>;tag=%d\r\nTo: <sip:%s>\r\n"
           "Call-ID: %d-%d@%s\r\nCSeq: 1 OPTIONS\r\n"
           "Contact: <sip:load@%s:%d>\r\nContent-Length: 0\r\n\r\n"
           % (host, shost, port, n, shost, n, host, os.getpid(), n, shost,
              shost, port))
    s.sendto(msg.encode(), (dst, 5060))
    s.close()
    n += 1
    time.sleep(0.005)
PY
}

responder() {
	python3 - "$@" <<'PY'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5060))
while True:
    data, src = s.recvfrom(65535)
    head = data.decode(errors="replace").split("\r\n")
    keep = [l for l in head[1:] if l.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
    s.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n").encode(), src)
PY
}

unload_under_traffic() {
	local before n
	topo_up
	ctl policy set udp 5060 force-rport,static-port
	ctl -6 policy set udp 5060 disable
	ctl policy set tcp 5060 disable
	ip netns add sa-extra
	ip netns exec sa-extra "$CTL" policy set udp 5070 static-port
	"$CTL" policy set udp 5080 force-rport

	topo_bg "$TOPO_NS_SRV" bash -c "$(declare -f responder); responder $SRV4"
	topo_bg "$TOPO_NS_SRV" bash -c "$(declare -f responder); responder $SRV6"
	sleep 1
	topo_bg "$TOPO_NS_CLI" bash -c "$(declare -f traffic); traffic 4 $CLI4 $SRV4"
	topo_bg "$TOPO_NS_CLI" bash -c "$(declare -f traffic); traffic 6 $CLI6 $SRV6"
	# the ALG and the static-port hook are busy: within 30 s (the
	# generators start slowly in a guest that shares its CPU)
	for _ in $(seq 1 30); do
		sleep 1
		n=$(ctl -j stats udp 5060 2>/dev/null |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["seen"])' 2>/dev/null) || n=0
		[ "${n:-0}" -ge 20 ] && break
	done
	echo "messages seen so far: $n"
	[ "$n" -ge 20 ]
	[ "$(ctl -j stats udp 5060 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["static_port_kept"])')" -ge 10 ]
	[ "$(topo_ct | grep -c helper=sipalg)" -gt 0 ]

	# detach the helper (the ruleset holds the module), keep the NAT and
	# the traffic, unload
	rtr nft delete chain inet sipalg_topo prerouting
	rtr nft delete ct helper inet sipalg_topo sip-udp
	rtr nft delete ct helper inet sipalg_topo sip-tcp
	before=$(topo_ct | wc -l)
	echo "conntrack entries at unload: $before"
	rmmod sipalg
	[ ! -d /sys/module/sipalg ]
	sleep 2
	# traffic still flows through the plain NAT
	[ "$(topo_ct | grep -c "dport=5060")" -gt 0 ]
	# the conntracks the helper had outlive the module; ending them all now
	# (what an admin's conntrack -F does) must not call into it (7.2 keeps
	# the helper on them: issue 16, an oops in nf_ct_helper_destroy)
	rtr conntrack -F
	sleep 1
	[ "$(topo_ct | grep -c "dport=5060")" -gt 0 ]
	e2e_kernel_log_clean

	# loading again starts from nothing, everywhere
	e2e_module_load
	[ "$(ctl -j policy show)" = '[]' ]
	[ "$("$CTL" -j policy show)" = '[]' ]
	[ "$(ip netns exec sa-extra "$CTL" -j policy show)" = '[]' ]
	e2e_kernel_log_clean
	topo_down
}

# tear a namespace down with policies set and the helper busy in it
netns_exit_under_traffic() {
	topo_up
	ctl policy set udp 5060 static-port,force-rport
	topo_bg "$TOPO_NS_SRV" bash -c "$(declare -f responder); responder $SRV4"
	sleep 1
	topo_bg "$TOPO_NS_CLI" bash -c "$(declare -f traffic); traffic 4 $CLI4 $SRV4"
	sleep 3
	topo_down
	e2e_kernel_log_clean
	# the module is still sound
	"$CTL" policy set udp 5060 disable
	"$CTL" policy flush
}

if [ ! -x "$CTL" ]; then
	echo "FAIL sipalgctl-built: $CTL missing: build it on the host first (make ctl)"
	e2e_finish
	exit 1
fi
e2e_module_load
e2e_test policy-netns-exit-under-traffic netns_exit_under_traffic
e2e_test policy-unload-under-traffic unload_under_traffic
e2e_finish
