#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Several calls over one UDP signalling flow (a PBX's trunk to its carrier)
# through the fully-random masquerading router with sipalg: the media
# pinholes belong to their call. The end of one call leaves the other's
# pinholes and its media alone; a re-INVITE moving the media port closes
# the old port and opens the new one.
#
#   PBX (sa-cli)                  router (sa-rtr)                carrier (sa-srv)
#   192.168.1.2:5060  ---------  masquerade fully-random  ------ 198.51.100.2:5060
#   media 16000, 16010, 16030 -> 16040                           media 20000, 20010, 20020
#
# tests/e2e/sipp/trunk.py plays both ends (see its header for the
# scenario); at its checkpoints this test snapshots the router's
# `conntrack -L expect`. The media checks are what a user hears: the
# carrier sends RTP and RTCP to each call's current public address and
# port, and also to the stale ones (an ended call's, the port a re-INVITE
# left); the PBX counts what reaches each of its ports.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
trap topo_down EXIT

TRUNK=$E2E_DIR/sipp/trunk.py
RTP_MIN=15

# destination ports of the expectations to address $2 in snapshot $1,
# sorted, one line
exp_ports() {
	awk -v want="dst=$2" '
		{
			dst = ""; dp = ""
			for (i = 1; i <= NF; i++) {
				if (dst == "" && $i ~ /^dst=/) dst = $i
				if (dp == "" && $i ~ /^dport=/) dp = substr($i, 7)
			}
			if (dst == want) print dp
		}' "$E2E_OUT/expect-$1.txt" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# "rtp rtcp" the PBX counted on port $2 during the media of call $1
pbx_rx() {
	awk -v c="$1" -v p="port=$2" '$1 == "rx" && $2 == c && $3 == p {
		sub("rtp=", "", $4); sub("rtcp=", "", $5); print $4, $5 }' \
		"$E2E_OUT/trunk-pbx.log"
}

# the port list $1 holds port $2 / does not
has() {
	[[ " $1 " == *" $2 "* ]]
}
lacks() {
	[[ " $1 " != *" $2 "* ]]
}

untracked() {
	cat /sys/module/sipalg/parameters/untracked_pinholes
}

# the whole scenario; the tests below judge what it left
trunk_scenario() {
	local hook=$E2E_OUT/snapshot.sh u0 rc=0 carrier _
	topo_up
	cat >"$hook" <<EOF
#!/bin/sh
ip netns exec $TOPO_NS_RTR conntrack -L expect >"$E2E_OUT/expect-\$1.txt" 2>/dev/null
[ "\$1" != two-calls ] ||
	ip netns exec $TOPO_NS_RTR python3 "$TRUNK" expfn >"$E2E_OUT/expfn-\$1.txt" 2>&1
exit 0
EOF
	chmod +x "$hook"
	rm -f "$E2E_OUT"/expect-*.txt "$E2E_OUT"/expfn-*.txt
	u0=$(untracked)
	topo_cap_start trunk
	(exec ip netns exec "$TOPO_NS_SRV" python3 "$TRUNK" carrier --bind "$SRV4" \
		>"$E2E_OUT/trunk-carrier.log" 2>&1) &
	carrier=$!
	TOPO_PIDS+=("$carrier")
	for _ in $(seq 1 50); do
		[[ $(srv ss -Hlnu) == *"$SRV4:5060 "* ]] && break
		sleep 0.1
	done
	cli python3 "$TRUNK" pbx --bind "$CLI4" --server "$SRV4" --hook "$hook" \
		>"$E2E_OUT/trunk-pbx.log" 2>&1 || rc=$?
	sed 's/^/pbx: /' "$E2E_OUT/trunk-pbx.log"
	wait "$carrier" || rc=$?
	sed 's/^/carrier: /' "$E2E_OUT/trunk-carrier.log"
	topo_cap_stop
	echo "untracked pinholes: $u0 before, $(untracked) after"
	echo "$(($(untracked) - u0))" >"$E2E_OUT/untracked-delta"
	topo_down
	[ "$rc" = 0 ]
	grep -qx 'pbx ok' "$E2E_OUT/trunk-pbx.log"
	grep -q '^carrier ok' "$E2E_OUT/trunk-carrier.log"
}

# two calls up: each has its pinholes, both directions
two_calls_pinholes() {
	cat "$E2E_OUT/expect-two-calls.txt"
	[ "$(exp_ports two-calls "$RTR_WAN4")" = "16000 16001 16010 16011" ]
	[ "$(exp_ports two-calls "$SRV4")" = "20000 20001 20010 20011" ]
}

# ctnetlink names the media pinholes' function (conntrackd can sync them)
pinholes_name_their_function() {
	cat "$E2E_OUT/expfn-two-calls.txt"
	[ "$(grep -c '^dport=.* fn=sipalg$' "$E2E_OUT/expfn-two-calls.txt")" = 8 ]
}

# BYE of call 1: its pinholes go, call 2's stay
bye_removes_its_call_only() {
	cat "$E2E_OUT/expect-after-bye-1.txt"
	[ "$(exp_ports after-bye-1 "$RTR_WAN4")" = "16010 16011" ]
	[ "$(exp_ports after-bye-1 "$SRV4")" = "20010 20011" ]
}

# after call 1's BYE, call 2's media still reaches the PBX; nothing
# reaches call 1's old port
rtp_of_other_call_flows() {
	local cur old
	cur=$(pbx_rx call2 16010)
	old=$(pbx_rx call2 16000)
	echo "call 2 media at 16010: $cur (rtp rtcp); at call 1's 16000: $old"
	[ "${cur%% *}" -ge "$RTP_MIN" ]
	[ "${cur##* }" -ge 1 ]
	[ "$old" = "0 0" ]
	grep -E '^in call2 rtp=([2-9][0-9]|1[5-9])' "$E2E_OUT/trunk-carrier.log"
}

# a re-INVITE moving call 3's media port: the old pinholes go, new ones
# open; the carrier's stay
reinvite_moves_pinhole() {
	local before after srv
	before=$(exp_ports call-3 "$RTR_WAN4")
	after=$(exp_ports after-reinvite "$RTR_WAN4")
	srv=$(exp_ports after-reinvite "$SRV4")
	echo "PBX side before: $before; after: $after; carrier side after: $srv"
	has "$before" 16030
	has "$before" 16031
	lacks "$after" 16030
	lacks "$after" 16031
	has "$after" 16040
	has "$after" 16041
	has "$srv" 20020
	has "$srv" 20021
}

# the carrier's media reaches the new port, not the old one
rtp_reaches_new_port() {
	local cur old
	cur=$(pbx_rx call3 16040)
	old=$(pbx_rx call3 16030)
	echo "call 3 media at 16040: $cur (rtp rtcp); at the old 16030: $old"
	[ "${cur%% *}" -ge "$RTP_MIN" ]
	[ "${cur##* }" -ge 1 ]
	[ "$old" = "0 0" ]
	[ "$(pbx_rx call3 16000)" = "0 0" ]
}

# all calls ended: no media pinhole left; none was untracked
calls_end_clean() {
	cat "$E2E_OUT/expect-end.txt"
	[ -z "$(exp_ports end "$RTR_WAN4")" ]
	[ -z "$(exp_ports end "$SRV4")" ]
	[ "$(cat "$E2E_OUT/untracked-delta")" = 0 ]
}

e2e_module_load
e2e_test udp-trunk-scenario trunk_scenario
e2e_test udp-trunk-two-calls-pinholes two_calls_pinholes
e2e_test udp-trunk-pinholes-name-their-function pinholes_name_their_function
e2e_test udp-trunk-bye-removes-its-call-only bye_removes_its_call_only
e2e_test udp-trunk-rtp-of-other-call-flows rtp_of_other_call_flows
e2e_test udp-trunk-reinvite-moves-pinhole reinvite_moves_pinhole
e2e_test udp-trunk-rtp-reaches-new-port rtp_reaches_new_port
e2e_test udp-trunk-calls-end-clean calls_end_clean
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
