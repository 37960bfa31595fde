#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unloading sipalg while it works: a UDP call with media flowing through its
# pinholes and a TCP connection on which the router holds half a message.
# Once the ruleset no longer names the helper, rmmod must succeed at once,
# the kernel must not complain, and the module must load again.
#
#   phone (sa-cli)                router (sa-rtr)                server (sa-srv)
#   192.168.1.2 --- lan0 192.168.1.1 | 198.51.100.1 wan0 --- 198.51.100.2:5060
#                            masquerade fully-random
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"
trap topo_down EXIT

# the UDP call is answered and the router holds TCP bytes
call_and_held() {
	grep -q "200 to INVITE" "$E2E_OUT/u-phone.log" &&
		[ "$(cat /sys/module/sipalg/parameters/tcp_held)" -gt 0 ]
}

unload_under_traffic() {
	local udp
	topo_up --ports "5060 5070"
	# a UDP call: its media exchange runs for a few seconds
	peer_server u --answer --timeout 20
	(cli python3 "$PEER" phone --bind "$CLI4" --server "$SRV4:5060" --sport 5060 --call \
		>"$E2E_OUT/u-phone.log" 2>&1 || true) &
	udp=$!
	# a TCP connection whose REGISTER is split, the halves 10 s apart
	(exec ip netns exec "$TOPO_NS_SRV" python3 "$PEER" server --bind "$SRV4" --port 5070 \
		--tcp --timeout 20 --media-port 20010 >"$E2E_OUT/t-server.log" 2>&1 || true) &
	TOPO_PIDS+=("$!")
	e2e_wait 10 srv ss -Hlnt "sport = 5070"
	(cli python3 "$PEER" phone --bind "$CLI4" --server "$SRV4:5070" --sport 0 --tcp \
		--split --split-pause 10 >"$E2E_OUT/t-phone.log" 2>&1 || true) &
	# unload once the call is answered and the router holds the first half
	# (a loaded emulated guest may take seconds to start the peers)
	e2e_wait 12 call_and_held
	echo "at rmmod: $(topo_ct | grep -c 'helper=sipalg') conntracks with the helper," \
		"tcp_held $(cat /sys/module/sipalg/parameters/tcp_held)"
	# the helper objects go first (they hold the module), then the module
	rtr nft delete table inet sipalg_topo
	rmmod sipalg
	[ ! -d /sys/module/sipalg ]
	# the call's and the TCP connection's conntracks outlive the module:
	# ending them must not reach it (on 7.2 they keep the helper)
	rtr conntrack -F
	# the call ends; the TCP phone (its connection lost its NAT mapping with
	# the flush) is left to topo_down
	wait "$udp" || true
	topo_ct >/dev/null
	e2e_kernel_log_clean
	e2e_module_load
	[ -d /sys/module/sipalg ]
	topo_down
}

e2e_module_load
e2e_test unload-while-calls-and-held-tcp-bytes unload_under_traffic
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
