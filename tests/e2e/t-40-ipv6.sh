#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The same over IPv6: the router masquerades fd00:1::/64 behind its public
# address with fully random ports (inet table), sipalg rewrites the IPv6
# references ([addr]:port in SIP, "IN IP6 addr" in SDP).
#
#   phone (sa-cli)             router (sa-rtr)                      server (sa-srv)
#   fd00:1::2 --- lan0 fd00:1::1 | 2001:db8:100::1 wan0 --- 2001:db8:100::2:5060
#                              masquerade fully-random
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
PEER_FAM=6
. "$(dirname "$0")/sipp/peer.sh"
trap topo_down EXIT

register_v6() {
	local pub via ctc
	topo_up
	topo_cap_start reg6
	peer_server reg6 --respond via
	peer_phone reg6 --sport 5060 --via "[$CLI6]:5060"
	server_ok reg6
	topo_cap_stop
	pub=$(sip_src "$CAP_SRV" '^REGISTER ')
	via=$(sip_field "$CAP_SRV" '^REGISTER ' Via)
	ctc=$(sip_field "$CAP_SRV" '^REGISTER ' Contact)
	echo "server saw REGISTER from $pub, Via: $via, Contact: $ctc"
	[[ $pub == "[$RTR_WAN6]:"* ]]
	[[ $via == "SIP/2.0/UDP $pub;"* ]]
	[[ $ctc == *"@$pub>"* ]]
	topo_down
}

call_v6() {
	local c
	topo_up
	topo_cap_start call6
	peer_server call6 --answer
	peer_phone call6 --sport 5060 --call
	server_ok call6
	topo_cap_stop
	c=$(sip_field "$CAP_SRV" '^INVITE ' c=)
	echo "server saw c=$c"
	[ "$c" = "IN IP6 $RTR_WAN6" ]
	topo_down
}

inbound_v6() {
	topo_up
	peer_server in6 --call-registered
	peer_phone in6 --sport 5060 --answer
	server_ok in6
	topo_down
}

tcp_call_v6() {
	topo_up
	peer_server tcp6 --tcp --answer
	peer_phone tcp6 --tcp --sport 0 --split --call
	server_ok tcp6
	grep -q "^  Via: SIP/2.0/TCP \[$RTR_WAN6\]:" "$E2E_OUT/tcp6-server.log"
	topo_down
}

sipp_v6() {
	topo_up
	topo_sipp_uas -6
	topo_sipp_uac -6
	topo_down
}

peer_module_load
e2e_test ipv6-udp-register register_v6
e2e_test ipv6-udp-call-sdp-rtp call_v6
e2e_test ipv6-udp-inbound-call-after-register inbound_v6
e2e_test ipv6-tcp-split-call tcp_call_v6
e2e_test ipv6-sipp-call sipp_v6
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
