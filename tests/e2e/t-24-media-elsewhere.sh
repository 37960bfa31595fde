#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Media from elsewhere than the signalling peer (issue 12): a phone behind
# the fully-random masquerading router registers with a proxy that relays
# no media and calls a far end on another address through it. RTP flows
# directly between the phone and the far end; the call is held
# (a=sendonly) and resumed on a new port.
#
#   phone (sa-cli)            router (sa-rtr)              sa-srv
#   192.168.1.2:5060  ---  masquerade fully-random  ---  proxy 198.51.100.10:5060
#   media 16030, then 16040                              far end's media 198.51.100.20:30000
#                                                        (load balancer  198.51.100.30)
#
# tests/e2e/sipp/elsewhere.py plays both ends (see its header). The far
# end does not latch: it sends to the address and port the phone's SDP
# names, as most carriers' media gateways do. The checks are what a user
# hears: RTP counted where it arrives, each way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
trap topo_down EXIT

ELSE=$E2E_DIR/sipp/elsewhere.py
CTL=$E2E_TOP/userspace/sipalgctl
PROXY4=198.51.100.10
FAR4=198.51.100.20
LB4=198.51.100.30
RTP_MIN=50

ctl() { rtr "$CTL" "$@"; }

elsewhere_up() {
	topo_up
	srv ip addr add "$PROXY4/24" dev eth0
	srv ip addr add "$FAR4/24" dev eth0
	srv ip addr add "$LB4/24" dev eth0
}

# run the scenario, tag $1, extra far-end arguments after it
elsewhere_run() {
	local tag=$1 rc=0 far _
	shift
	topo_cap_start "$tag"
	(exec ip netns exec "$TOPO_NS_SRV" python3 "$ELSE" far --bind "$PROXY4" \
		--media "$FAR4" "$@" >"$E2E_OUT/$tag-far.log" 2>&1) &
	far=$!
	TOPO_PIDS+=("$far")
	for _ in $(seq 1 50); do
		[[ $(srv ss -Hlnu) == *"$PROXY4:5060 "* ]] && break
		sleep 0.1
	done
	cli python3 "$ELSE" phone --bind "$CLI4" --proxy "$PROXY4" \
		>"$E2E_OUT/$tag-phone.log" 2>&1 || rc=$?
	sed 's/^/phone: /' "$E2E_OUT/$tag-phone.log"
	wait "$far" || rc=$?
	sed 's/^/far: /' "$E2E_OUT/$tag-far.log"
	rtr conntrack -L expect 2>/dev/null >"$E2E_OUT/$tag-expect-end.txt" || true
	topo_cap_stop
	[ "$rc" = 0 ]
	grep -qx 'phone ok' "$E2E_OUT/$tag-phone.log"
	grep -qx 'far ok' "$E2E_OUT/$tag-far.log"
}

# RTP the phone counted at port $3 during media check $2 of run $1
phone_rtp() {
	awk -v n="media=$2" -v p="port=$3" '$1 == "rx" && $2 == n && $3 == p {
		sub("rtp=", "", $4); print $4 }' "$E2E_OUT/$1-phone.log"
}

# RTP the far end counted during media check $2 of run $1
far_rtp() {
	awk -v n="media=$2" '$1 == "in" && $2 == "call" && $3 == n {
		sub("rtp=", "", $4); print $4 }' "$E2E_OUT/$1-far.log"
}

rtp_ok() {
	[ -n "$1" ] && [ "$1" -ge "$RTP_MIN" ]
}

# the call through the proxy, hold and resume on a new port
scenario() {
	elsewhere_up
	elsewhere_run call
	topo_down
}

# before the hold: RTP both ways at the first port
media_before_hold() {
	local ph fa
	ph=$(phone_rtp call 1 16030)
	fa=$(far_rtp call 1)
	echo "before the hold: phone got $ph RTP at 16030, far end got $fa"
	rtp_ok "$ph"
	rtp_ok "$fa"
}

# after the resume on 16040: RTP both ways, at the new port
media_after_resume() {
	local ph fa
	ph=$(phone_rtp call 2 16040)
	fa=$(far_rtp call 2)
	echo "after the resume: phone got $ph RTP at 16040, far end got $fa"
	rtp_ok "$ph"
	rtp_ok "$fa"
}

# the phone sees the far end's RTP come from the far end's own address,
# as the far end's SDP told it (not from the proxy's)
media_from_far_address() {
	local n
	n=$(tcpdump -n -r "$E2E_OUT/call-client.pcap" \
		"udp and src host $FAR4 and src port 30000 and dst host $CLI4 and dst port 16040" \
		2>/dev/null | wc -l)
	echo "the phone's capture: $n packets $FAR4:30000 -> $CLI4:16040"
	rtp_ok "$n"
}

# the phone's RTP and RTCP reach the far end from the public ports the
# phone's SDP showed (16040, 16041 after the resume), not from ports the
# NAT picked: a far end that answers to the source, or sends to the SDP's
# port, reaches the same mapping
phone_media_from_sdp_port() {
	local rtp rtcp
	rtp=$(tcpdump -n -r "$E2E_OUT/call-server.pcap" \
		"udp and src host $RTR_WAN4 and src port 16040 and dst host $FAR4 and dst port 30000" \
		2>/dev/null | wc -l)
	rtcp=$(tcpdump -n -r "$E2E_OUT/call-server.pcap" \
		"udp and src host $RTR_WAN4 and src port 16041 and dst host $FAR4 and dst port 30001" \
		2>/dev/null | wc -l)
	echo "the far end's capture: $rtp RTP from $RTR_WAN4:16040, $rtcp RTCP from :16041"
	rtp_ok "$rtp"
	[ "$rtcp" -ge 10 ]
}

# a media server behind a load balancer: its RTP comes from an address no
# SDP names. Without a policy the pinhole admits only what the SDP names,
# so none of it reaches the phone; with media-any it does.
media_any_unnamed_source() {
	local ph pol
	elsewhere_up
	elsewhere_run lb0 --media-src "$LB4"
	ph=$(phone_rtp lb0 2 16040)
	echo "without a policy: phone got $ph RTP from $LB4"
	[ "$ph" = 0 ]
	# afresh: the refused packets left conntrack entries that would
	# catch the next call's ones before any pinhole
	elsewhere_up
	ctl policy set udp 5060 media-any
	pol=$(ctl policy show udp 5060)
	echo "$pol"
	[[ $pol == *"udp   5060  any    media-any"* ]]
	[ "$(ctl -j policy show udp 5060)" = '[{"proto":"udp","port":5060,"family":"any","policy":["media-any"]}]' ]
	elsewhere_run lb1 --media-src "$LB4"
	ph=$(phone_rtp lb1 2 16040)
	echo "with media-any: phone got $ph RTP from $LB4 at 16040, $(phone_rtp lb1 1 16030) at 16030"
	rtp_ok "$ph"
	rtp_ok "$(phone_rtp lb1 1 16030)"
	rtp_ok "$(far_rtp lb1 2)"
	ctl stats udp 5060
	[ "$(ctl -j stats udp 5060 | python3 -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["pinholes_any_source"])')" -ge 2 ]
	topo_down
}

# the call ended: no media pinhole is left
call_ends_clean() {
	cat "$E2E_OUT/call-expect-end.txt"
	[ "$(grep -c -E 'dport=160[34][0-9] ' "$E2E_OUT/call-expect-end.txt")" = 0 ]
}

# t-69 runs this file with TOPO_HELPER_TYPE=sip (the in-tree helper):
# then sipalg stays unloaded and its policy test is skipped
if [ "$TOPO_HELPER_TYPE" = sipalg ]; then
	if [ ! -x "$CTL" ]; then
		echo "FAIL sipalgctl-built: $CTL missing: build it on the host first (make ctl)"
		exit 1
	fi
	e2e_module_load
fi
e2e_test media-elsewhere-call-through-proxy scenario
e2e_test media-elsewhere-rtp-both-ways-before-hold media_before_hold
e2e_test media-elsewhere-rtp-both-ways-after-resume-new-port media_after_resume
e2e_test media-elsewhere-from-far-address media_from_far_address
e2e_test media-elsewhere-phone-media-from-sdp-port phone_media_from_sdp_port
e2e_test media-elsewhere-call-ends-clean call_ends_clean
if [ "$TOPO_HELPER_TYPE" = sipalg ]; then
	e2e_test media-any-unnamed-source media_any_unnamed_source
else
	t_skip media-any-unnamed-source "a sipalg policy (helper $TOPO_HELPER_TYPE)"
fi
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
