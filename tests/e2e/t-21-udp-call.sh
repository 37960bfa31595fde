#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Calls over UDP through the fully-random masquerading router with sipalg:
# SDP rewritten to the public address, RTP and RTCP through the pinholes in
# both directions, a re-INVITE to hold and back, an inbound call to a
# registered phone, and a plain SIPp call.
#
#   phone (sa-cli)                router (sa-rtr)                server (sa-srv)
#   192.168.1.2  --- lan0 192.168.1.1 | 198.51.100.1 wan0 ---  198.51.100.2:5060
#   media 16000/16001             masquerade fully-random      media 20000/20001
#
# Both peers (tests/e2e/sipp/sippeer.py) send 20 RTP and 4 RTCP packets to
# the address and ports the other's SDP shows, and count what arrives.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"
trap topo_down EXIT

# outbound call with SDP: what the server sees, and media both ways
call_rtp_both_ways() {
	local c o m
	topo_up
	topo_cap_start call
	peer_server call --answer
	peer_phone call --sport 5060 --call
	server_ok call
	topo_cap_stop
	c=$(sip_field "$CAP_SRV" '^INVITE ' c=)
	o=$(sip_field "$CAP_SRV" '^INVITE ' o=)
	m=$(sip_field "$CAP_SRV" '^INVITE ' m=)
	echo "server saw c=$c o=$o m=$m"
	[ "$c" = "IN IP4 $RTR_WAN4" ]
	[[ $o == *" IN IP4 $RTR_WAN4" ]]
	[[ $m == "audio "[0-9]*" RTP/AVP 0" ]]
	# the answer reaches the phone unchanged (the server is public)
	[ "$(sip_field "$CAP_CLI" '^SIP/2.0 200' c= 2)" = "IN IP4 $SRV4" ]
	topo_down
}

# SDP with an explicit a=rtcp: line: RTCP still reaches the phone
call_rtcp_attr() {
	topo_up
	peer_server rtcp --answer
	peer_phone rtcp --sport 5060 --call --rtcp-attr
	server_ok rtcp
	topo_down
}

call_hold_resume() {
	topo_up
	topo_cap_start hold
	peer_server hold --answer
	peer_phone hold --sport 5060 --call --hold
	server_ok hold
	topo_cap_stop
	# three INVITEs reached the server, each with the public address
	[ "$(sip_count "$CAP_SRV" '^INVITE ')" = 3 ]
	for n in 1 2 3; do
		[ "$(sip_field "$CAP_SRV" '^INVITE ' c= $n)" = "IN IP4 $RTR_WAN4" ]
	done
	sip_field "$CAP_SRV" '^INVITE ' a= 2 | grep -qx sendonly
	topo_down
}

# register, then the server calls the phone at its registered Contact
inbound_call_after_register() {
	local ruri
	topo_up
	topo_cap_start inbound
	peer_server inbound --call-registered
	peer_phone inbound --sport 5060 --answer
	server_ok inbound
	topo_cap_stop
	ruri=$(sip_msgs "$CAP_CLI" | grep -m1 '^INVITE ' | awk '{print $2}')
	echo "the phone got INVITE $ruri"
	[ "$ruri" = "sip:phone@$CLI4:5060" ]
	[ "$(sip_field "$CAP_SRV" '^SIP/2.0 200' c= 2)" = "IN IP4 $RTR_WAN4" ]
	topo_down
}

# the Cisco 79xx sends from an ephemeral port and listens on 5060: the
# inbound call must reach 5060
inbound_call_79xx() {
	topo_up
	peer_server in79 --call-registered
	peer_phone in79 --sport 0 --listen 5060 --via "$CLI4:5060" --contact "$CLI4:5060" --answer
	server_ok in79
	topo_down
}

# SIPp's own client and server
sipp_call() {
	local via
	topo_up
	topo_cap_start sipp
	topo_sipp_uas
	topo_sipp_uac
	topo_cap_stop
	via=$(sip_field "$CAP_SRV" '^INVITE ' Via)
	echo "server saw Via: $via"
	[[ $via == "SIP/2.0/UDP $RTR_WAN4:"* ]]
	[ "$(sip_field "$CAP_SRV" '^INVITE ' c=)" = "IN IP4 $RTR_WAN4" ]
	topo_down
}

peer_module_load
e2e_test udp-call-sdp-rtp-rtcp-both-ways call_rtp_both_ways
e2e_test udp-call-rtcp-attribute call_rtcp_attr
e2e_test udp-call-hold-and-resume call_hold_resume
e2e_test udp-inbound-call-after-register inbound_call_after_register
e2e_test udp-inbound-call-79xx-listens-5060 inbound_call_79xx
e2e_test udp-sipp-call sipp_call
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
