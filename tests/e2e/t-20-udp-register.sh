#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Registrations over UDP through a router that masquerades with fully random
# source ports, sipalg attached with an nftables ct helper.
#
#   phone (sa-cli)                router (sa-rtr)                registrar (sa-srv)
#   192.168.1.2  --- lan0 192.168.1.1 | 198.51.100.1 wan0 ---  198.51.100.2:5060
#                                 masquerade fully-random
#
# The registrar (tests/e2e/sipp/sippeer.py) answers as RFC 3261 says: to the
# source IP and the top Via's port, or to the source port when the Via has
# ;rport. It has no route to 192.168.1.0/24: whatever private address leaks
# through the router is unreachable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
trap topo_down EXIT

. "$(dirname "$0")/sipp/peer.sh"

# the registrar's view: REGISTER's source, Via and Contact
show_register() {
	echo "server saw REGISTER from $(sip_src "$CAP_SRV" '^REGISTER ')"
	echo "  Via: $(sip_field "$CAP_SRV" '^REGISTER ' Via)"
	echo "  Contact: $(sip_field "$CAP_SRV" '^REGISTER ' Contact)"
}

# the phone's Via carries no ;rport and it sends from 5060 (Cisco 7940):
# the registrar answers to the Via port, which must be the NAT's port
register_via_no_rport() {
	local pub via ctc
	topo_up
	topo_cap_start reg7940
	peer_server reg7940 --respond via
	peer_phone reg7940 --sport 5060 --via "$CLI4:5060"
	server_ok reg7940
	topo_cap_stop
	show_register
	pub=$(sip_src "$CAP_SRV" '^REGISTER ')
	[[ $pub == "$RTR_WAN4":* ]]
	via=$(sip_field "$CAP_SRV" '^REGISTER ' Via)
	ctc=$(sip_field "$CAP_SRV" '^REGISTER ' Contact)
	[[ $via == "SIP/2.0/UDP $pub;"* ]]
	[[ $ctc == *"@$pub>"* ]]
	# the 200 went to the Via port, came back to the phone's 5060 with
	# the Via it wrote
	[ "$(sip_dst "$CAP_SRV" '^SIP/2.0 200')" = "$pub" ]
	[ "$(sip_dst "$CAP_CLI" '^SIP/2.0 200')" = "$CLI4:5060" ]
	sip_field "$CAP_CLI" '^SIP/2.0 200' Via | grep -q "^SIP/2.0/UDP $CLI4:5060;"
	topo_down
}

# Cisco 79xx: sends from an ephemeral port, wants responses (and requests)
# on its Via/Contact port 5060
register_ephemeral_listens_5060() {
	local pub via ctc
	topo_up
	topo_cap_start reg79xx
	peer_server reg79xx --respond via
	peer_phone reg79xx --sport 0 --listen 5060 --via "$CLI4:5060" --contact "$CLI4:5060"
	server_ok reg79xx
	topo_cap_stop
	show_register
	pub=$(sip_src "$CAP_SRV" '^REGISTER ')
	via=$(sip_field "$CAP_SRV" '^REGISTER ' Via)
	ctc=$(sip_field "$CAP_SRV" '^REGISTER ' Contact)
	[[ $pub == "$RTR_WAN4":* ]]
	[[ $via == "SIP/2.0/UDP $pub;"* ]]
	[[ $ctc == *"@$pub>"* ]]
	# the response reaches the phone on 5060, Via as the phone wrote it
	[ "$(sip_dst "$CAP_CLI" '^SIP/2.0 200')" = "$CLI4:5060" ]
	sip_field "$CAP_CLI" '^SIP/2.0 200' Via | grep -q "^SIP/2.0/UDP $CLI4:5060;"
	topo_down
}

# a softphone with ;rport on an ephemeral port
register_rport() {
	local pub via ctc
	topo_up
	topo_cap_start regrport
	peer_server regrport --respond via
	peer_phone regrport --sport 0 --rport
	server_ok regrport
	topo_cap_stop
	show_register
	pub=$(sip_src "$CAP_SRV" '^REGISTER ')
	via=$(sip_field "$CAP_SRV" '^REGISTER ' Via)
	ctc=$(sip_field "$CAP_SRV" '^REGISTER ' Contact)
	[[ $pub == "$RTR_WAN4":* ]]
	[[ $via == "SIP/2.0/UDP $pub;"*";rport"* ]]
	[[ $ctc == *"@$pub>"* ]]
	# the rport= and received= the registrar wrote are mapped back
	sip_field "$CAP_CLI" '^SIP/2.0 200' Via | tee /dev/stderr |
		grep -q "received=$CLI4"
	topo_down
}

# a phone that already writes the router's public address (STUN): left
# byte for byte as it was
register_public_untouched() {
	local before after
	topo_up
	topo_cap_start regpub
	peer_server regpub --respond source
	peer_phone regpub --sport 0 --rport --via "$RTR_WAN4:5062" --contact "$RTR_WAN4:5062"
	server_ok regpub
	topo_cap_stop
	before=$(sip_msgs "$CAP_CLI" | awk '/^@/ {n++} n == 1 && !/^@/')
	after=$(sip_msgs "$CAP_SRV" | awk '/^@/ {n++} n == 1 && !/^@/')
	echo "client sent:"
	echo "$before"
	[ -n "$before" ]
	[ "$before" = "$after" ]
	topo_down
}

# the registration's lifetime keeps the phone's conntrack entry (and its
# inbound pinhole) alive; expires=0 removes the pinhole
register_lifetime() {
	local ct tmo exp pub
	# keep the flow's own SIP timeout short, so only the registration's
	# lifetime can hold the entry past 600 s
	echo 60 >/sys/module/sipalg/parameters/sip_timeout
	topo_up
	peer_server life --respond via --registers 1
	peer_phone life --sport 5060 --expires 900
	server_ok life
	ct=$(topo_ct -f ipv4 -p udp --orig-port-dst 5060)
	echo "router conntrack: $ct"
	tmo=$(echo "$ct" | awk '{print $3}')
	pub=$(echo "$ct" | grep -o 'dport=[0-9]*' | tail -n 1 | cut -d= -f2)
	# UDP's own timeout is 120 s at most; the registration asked 900
	[ "$tmo" -gt 600 ]
	exp=$(rtr conntrack -L expect 2>/dev/null || true)
	echo "expectations: $exp"
	echo "$exp" | grep -q "dport=$pub "
	peer_server unreg --respond via --registers 2
	peer_phone unreg --sport 5060 --expires 900 --unregister
	server_ok unreg
	exp=$(rtr conntrack -L expect 2>/dev/null || true)
	echo "expectations after expires=0: $exp"
	if echo "$exp" | grep -q "dport=$pub "; then
		echo "the registration pinhole outlived the unregistration"
		return 1
	fi
	topo_down
	echo 3600 >/sys/module/sipalg/parameters/sip_timeout
}

# a UDP SIP flow outlives UDP's own 120 s timeout (sip_timeout, default
# 3600 s), so a call held open keeps its NAT port for the BYE; a REGISTER
# for 60 s alone would keep it 90 s
signalling_flow_timeout() {
	local ct tmo
	topo_up
	peer_server sigtmo --respond via --registers 1
	peer_phone sigtmo --sport 5060 --expires 60
	server_ok sigtmo
	ct=$(topo_ct -f ipv4 -p udp --orig-port-dst 5060)
	echo "router conntrack: $ct"
	tmo=$(echo "$ct" | awk '{print $3}')
	[ "$tmo" -gt 1800 ]
	topo_down
}

peer_module_load
e2e_test udp-register-via-no-rport-7940 register_via_no_rport
e2e_test udp-register-ephemeral-port-listens-5060-79xx register_ephemeral_listens_5060
e2e_test udp-register-softphone-rport register_rport
e2e_test udp-register-public-address-untouched register_public_untouched
e2e_test udp-register-lifetime-keeps-ct-and-pinhole register_lifetime
e2e_test udp-signalling-flow-outlives-udp-timeout signalling_flow_timeout
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
