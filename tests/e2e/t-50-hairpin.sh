#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hairpin NAT (NAT reflection): a phone inside calls a server that is also
# inside, through the router's public address. The router DNATs the public
# address to the server and SNATs the phone to its own inside address on the
# same connection; both directions must be rewritten consistently.
#
#   phone (sa-cli)               router (sa-rtr)              server (sa-in2)
#   192.168.1.2 --- lan0 192.168.1.1                      192.168.2.2:5060
#                   lan1 192.168.2.1 ---------------------/
#                   wan0 198.51.100.1 (public; the phone dials this)
#   198.51.100.1:5060 -> dnat 192.168.2.2; out of lan1 after dnat:
#   masquerade fully-random
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"

NS_IN2=sa-in2
IN2=192.168.2.2
RTR_LAN2=192.168.2.1

hairpin_down() {
	ip netns pids "$NS_IN2" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$NS_IN2" 2>/dev/null || true
	topo_down
}
trap hairpin_down EXIT

hairpin_up() {
	topo_up
	ip netns add "$NS_IN2"
	ip -n "$NS_IN2" link set lo up
	ip -n "$NS_IN2" link add eth0 type veth peer name lan1 netns "$TOPO_NS_RTR"
	ip -n "$NS_IN2" addr add "$IN2/24" dev eth0
	ip -n "$TOPO_NS_RTR" addr add "$RTR_LAN2/24" dev lan1
	ip -n "$NS_IN2" link set eth0 up
	ip -n "$TOPO_NS_RTR" link set lan1 up
	ip -n "$NS_IN2" route add default via "$RTR_LAN2"
	rtr nft -f - <<-NFT
	table ip sipalg_hairpin {
		chain pre {
			type nat hook prerouting priority dstnat; policy accept;
			ip daddr $RTR_WAN4 udp dport 5060 dnat to $IN2
		}
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "lan1" ct status dnat masquerade fully-random
		}
	}
	NFT
}

in2() { ip netns exec "$NS_IN2" "$@"; }

hairpin_call() {
	local via ruri c
	hairpin_up
	(exec ip netns exec "$NS_IN2" python3 "$PEER" server --bind "$IN2" --answer \
		>"$E2E_OUT/hairpin-server.log" 2>&1) &
	SERVER_PID=$!
	for _ in $(seq 1 50); do
		in2 ss -Hlnu | grep -q ':5060 ' && break
		sleep 0.1
	done
	ip netns exec "$NS_IN2" tcpdump -i eth0 -U -w "$E2E_OUT/hairpin-server.pcap" udp port 5060 \
		>"$E2E_OUT/hairpin-tcpdump.log" 2>&1 &
	local cap=$!
	sleep 1
	local rc=0
	cli python3 "$PEER" phone --bind "$CLI4" --server "$RTR_WAN4:5060" --sport 5060 --call \
		>"$E2E_OUT/hairpin-phone.log" 2>&1 || rc=$?
	sed 's/^/phone: /' "$E2E_OUT/hairpin-phone.log"
	wait "$SERVER_PID" || rc=$?
	sed 's/^/server: /' "$E2E_OUT/hairpin-server.log"
	sleep 0.3
	kill -INT "$cap"
	wait "$cap" || true
	[ "$rc" = 0 ]
	via=$(sip_field "$E2E_OUT/hairpin-server.pcap" '^INVITE ' Via)
	ruri=$(sip_msgs "$E2E_OUT/hairpin-server.pcap" | grep -m1 '^INVITE ' | awk '{print $2}')
	c=$(sip_field "$E2E_OUT/hairpin-server.pcap" '^INVITE ' c=)
	echo "server saw INVITE $ruri, Via: $via, c=$c"
	# the phone as the server sees it: the router's inside address
	[[ $via == "SIP/2.0/UDP $RTR_LAN2:"* ]]
	[ "$c" = "IN IP4 $RTR_LAN2" ]
	# addressed to the server itself, not to the public address
	[ "$ruri" = "sip:service@$IN2:5060" ]
	# the phone sees the server by its public address
	grep -q "200 to INVITE, sdp ('$RTR_WAN4'" "$E2E_OUT/hairpin-phone.log"
	hairpin_down
}

peer_module_load
e2e_test hairpin-udp-call-sdp-rtp hairpin_call
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
