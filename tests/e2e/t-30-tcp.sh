#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# SIP over TCP through the fully-random masquerading router with sipalg:
# registration and call, a message split over two TCP segments, two
# messages in one segment, an inbound call on the phone's connection.
#
#   phone (sa-cli)                router (sa-rtr)                server (sa-srv)
#   192.168.1.2:ephemeral -- lan0 192.168.1.1 | 198.51.100.1 wan0 -- 198.51.100.2:5060/tcp
#                                 masquerade fully-random
#
# The peers are tests/e2e/sipp/sippeer.py with TCP_NODELAY; --split sends
# each message in two halves 300 ms apart (two segments), --pack sends an
# OPTIONS and the REGISTER in one write.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"
trap topo_down EXIT

# the server's log lists each message's Via and Contact as received
server_saw_public() {
	local tag=$1 what=$2 n=$3 got
	got=$(grep -c "^  $what: .*$RTR_WAN4:[0-9]" "$E2E_OUT/$tag-server.log" || true)
	echo "server saw $got $what header(s) with the public address, want >= $n"
	[ "$got" -ge "$n" ]
	if grep "^  $what: " "$E2E_OUT/$tag-server.log" | grep -q "$CLI4"; then
		echo "a private address reached the server"
		return 1
	fi
}

tcp_register_call() {
	topo_up
	topo_cap_start tcp
	peer_server tcp --tcp --answer
	peer_phone tcp --tcp --sport 0 --call
	server_ok tcp
	topo_cap_stop
	server_saw_public tcp Via 3
	server_saw_public tcp Contact 2
	[ "$(sip_field "$CAP_SRV" '^INVITE ' c=)" = "IN IP4 $RTR_WAN4" ]
	topo_down
}

tcp_split_messages() {
	topo_up
	topo_cap_start split
	peer_server split --tcp --answer
	peer_phone split --tcp --sport 0 --split --call
	server_ok split
	topo_cap_stop
	server_saw_public split Via 3
	server_saw_public split Contact 2
	# the phone sent the INVITE in two segments (the first without SDP);
	# the router put the halves together before rewriting
	[ -z "$(sip_field "$CAP_CLI" '^INVITE ' c=)" ]
	[ "$(sip_field "$CAP_SRV" '^INVITE ' c=)" = "IN IP4 $RTR_WAN4" ]
	topo_down
}

tcp_two_in_one_segment() {
	topo_up
	peer_server pack --tcp --answer
	peer_phone pack --tcp --sport 0 --pack --call
	server_ok pack
	grep -q 'got OPTIONS ' "$E2E_OUT/pack-server.log"
	# OPTIONS, REGISTER, INVITE, ACK, BYE: every Via public
	server_saw_public pack Via 5
	topo_down
}

tcp_inbound_call() {
	topo_up
	peer_server tcpin --tcp --call-registered
	peer_phone tcpin --tcp --sport 0 --answer
	server_ok tcpin
	topo_down
}

peer_module_load
e2e_test tcp-register-and-call tcp_register_call
e2e_test tcp-message-split-over-two-segments tcp_split_messages
e2e_test tcp-two-messages-in-one-segment tcp_two_in_one_segment
e2e_test tcp-inbound-call-on-registered-connection tcp_inbound_call
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
