#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# NAT reflection with a static public address (issue 12): a DMZ host at
# 192.168.2.2 owns the router's public address 198.51.100.50 (DNAT in,
# SNAT out, ports kept) and knows it, as an SBC's or an Expressway-E's
# outside leg does: it writes 198.51.100.50 in its Via, Contact and SDP.
# The ALG leaves what it wrote alone on the way out, and must give it back
# unchanged on the way in: responses carry its Via as written, the
# registrar's 200 its Contact, and a request to its Contact names it.
#
#   DMZ host (sa-dmz)             router (sa-rtr)                 sa-srv
#   192.168.2.2:5060 --- lan1 192.168.2.1 | wan0 198.51.100.1   198.51.100.2:5060
#   writes 198.51.100.50          198.51.100.50 <-> 192.168.2.2  registrar / far end
#
# tests/e2e/sipp/elsewhere.py plays both ends (roles dmz and far).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

ELSE=$E2E_DIR/sipp/elsewhere.py
NS_DMZ=sa-dmz
DMZ=192.168.2.2
DMZ_PUB=198.51.100.50
RTR_LAN2=192.168.2.1

dmz_down() {
	ip netns pids "$NS_DMZ" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$NS_DMZ" 2>/dev/null || true
	topo_down
}
trap dmz_down EXIT

dmz_up() {
	topo_up
	ip netns add "$NS_DMZ"
	ip -n "$NS_DMZ" link set lo up
	ip -n "$NS_DMZ" link add eth0 type veth peer name lan1 netns "$TOPO_NS_RTR"
	ip -n "$NS_DMZ" addr add "$DMZ/24" dev eth0
	ip -n "$TOPO_NS_RTR" addr add "$RTR_LAN2/24" dev lan1
	ip -n "$TOPO_NS_RTR" addr add "$DMZ_PUB/24" dev wan0
	ip -n "$NS_DMZ" link set eth0 up
	ip -n "$TOPO_NS_RTR" link set lan1 up
	ip -n "$NS_DMZ" route add default via "$RTR_LAN2"
	# before the topology's masquerade: the DMZ host has its own address
	rtr nft -f - <<-NFT
	table ip sipalg_dmz {
		chain pre {
			type nat hook prerouting priority dstnat; policy accept;
			ip daddr $DMZ_PUB dnat to $DMZ
		}
		chain post {
			type nat hook postrouting priority srcnat - 10; policy accept;
			ip saddr $DMZ oifname "wan0" snat to $DMZ_PUB
		}
	}
	NFT
	ip netns exec "$NS_DMZ" busybox ping -c 1 -W 5 "$SRV4" >/dev/null
}

dmz_call() {
	local rc=0 far _
	dmz_up
	topo_cap_start dmz
	(exec ip netns exec "$TOPO_NS_SRV" python3 "$ELSE" far --bind "$SRV4" \
		--media "$SRV4" >"$E2E_OUT/dmz-far.log" 2>&1) &
	far=$!
	TOPO_PIDS+=("$far")
	for _ in $(seq 1 50); do
		[[ $(srv ss -Hlnu) == *"$SRV4:5060 "* ]] && break
		sleep 0.1
	done
	ip netns exec "$NS_DMZ" python3 "$ELSE" dmz --bind "$DMZ" --public "$DMZ_PUB" \
		--proxy "$SRV4" >"$E2E_OUT/dmz-dmz.log" 2>&1 || rc=$?
	sed 's/^/dmz: /' "$E2E_OUT/dmz-dmz.log"
	wait "$far" || rc=$?
	sed 's/^/far: /' "$E2E_OUT/dmz-far.log"
	topo_cap_stop
	dmz_down
	[ "$rc" = 0 ]
	grep -qx 'dmz ok' "$E2E_OUT/dmz-dmz.log"
}

# what the far end received is what the DMZ host wrote (the way out)
out_as_written() {
	local via ctc c o
	via=$(sip_field "$E2E_OUT/dmz-server.pcap" '^INVITE ' Via)
	ctc=$(sip_field "$E2E_OUT/dmz-server.pcap" '^INVITE ' Contact)
	c=$(sip_field "$E2E_OUT/dmz-server.pcap" '^INVITE ' c=)
	o=$(sip_field "$E2E_OUT/dmz-server.pcap" '^INVITE ' o=)
	echo "the far end got Via: $via, Contact: $ctc, c=$c, o=$o"
	[[ $via == "SIP/2.0/UDP $DMZ_PUB:5060;"* ]]
	[ "$ctc" = "<sip:dmz@$DMZ_PUB:5060>" ]
	[ "$c" = "IN IP4 $DMZ_PUB" ]
	[[ $o == *" IN IP4 $DMZ_PUB" ]]
}

# every response reaches the DMZ host with the Via it wrote
responses_keep_its_via() {
	local n bad
	grep '^rx SIP/2.0 ' "$E2E_OUT/dmz-dmz.log"
	n=$(grep -c '^rx SIP/2.0 ' "$E2E_OUT/dmz-dmz.log")
	bad=$(grep '^rx SIP/2.0 ' "$E2E_OUT/dmz-dmz.log" |
		grep -c -v "|via=SIP/2.0/UDP $DMZ_PUB:5060;branch=" || true)
	echo "$n responses, $bad with another Via"
	[ "$n" -ge 4 ]
	[ "$bad" = 0 ]
}

# the registrar's 200 names the Contact it registered, as written
register_ok_keeps_its_contact() {
	local ctc
	ctc=$(grep -m1 '^rx SIP/2.0 200 OK' "$E2E_OUT/dmz-dmz.log" | sed 's/.*|contact=//')
	echo "the 200 to REGISTER: Contact: $ctc"
	[ "$ctc" = "<sip:dmz@$DMZ_PUB:5060>;expires=300" ]
}

# a request to its Contact names it as it wrote it
request_to_it_keeps_its_uri() {
	local start
	start=$(grep -m1 '^rx OPTIONS ' "$E2E_OUT/dmz-dmz.log" | cut -d'|' -f1)
	echo "the DMZ host got: ${start#rx }"
	[ "$start" = "rx OPTIONS sip:dmz@$DMZ_PUB:5060 SIP/2.0" ]
}

# t-68 runs this file with TOPO_HELPER_TYPE=sip (the in-tree helper)
[ "$TOPO_HELPER_TYPE" != sipalg ] || e2e_module_load
e2e_test static-nat-call dmz_call
e2e_test static-nat-out-as-written out_as_written
e2e_test static-nat-responses-keep-its-via responses_keep_its_via
e2e_test static-nat-register-ok-keeps-its-contact register_ok_keeps_its_contact
e2e_test static-nat-request-to-it-keeps-its-uri request_to_it_keeps_its_uri
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
