#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-port policies as the helper applies them, set with sipalgctl on the
# router, and the counters that say what the helper did.
#
#   phone (sa-cli)                router (sa-rtr)                registrar (sa-srv)
#   192.168.1.2:5060 --- lan0 | wan0 198.51.100.1 ----------  198.51.100.2:5060
#                            masquerade fully-random, sipalgctl policy
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"
trap topo_down EXIT

CTL=$E2E_TOP/userspace/sipalgctl

# force-rport: the phone's Via gets ;rport, the registrar answers to the
# source port, the phone gets its answer
force_rport() {
	local via
	topo_up
	rtr "$CTL" policy set udp 5060 force-rport
	topo_cap_start frport
	peer_server frport --respond via
	peer_phone frport --sport 5060 --via "$CLI4:5060"
	server_ok frport
	topo_cap_stop
	via=$(sip_field "$CAP_SRV" '^REGISTER ' Via)
	echo "server saw Via: $via"
	[[ $via == "SIP/2.0/UDP $RTR_WAN4:"*";rport"* ]]
	topo_down
}

# disable: the message crosses the router untouched (the registrar sees the
# private address and cannot answer), and the counters say why
disabled() {
	local via
	topo_up
	rtr "$CTL" policy set udp 5060 disable
	topo_cap_start dis
	peer_server dis --respond via --timeout 12
	if peer_phone dis --sport 5060 --via "$CLI4:5060"; then
		echo "the phone registered through a disabled ALG?"
		return 1
	fi
	server_ok dis || true
	topo_cap_stop
	via=$(sip_field "$CAP_SRV" '^REGISTER ' Via)
	echo "server saw Via: $via"
	[[ $via == "SIP/2.0/UDP $CLI4:5060;"* ]]
	rtr "$CTL" stats | tee /dev/stderr | grep -q 'policy-disabled [1-9]'
	topo_down
}

# a call with SDP: counted as seen, rewritten, with pinholes opened and
# removed by the BYE
counters_after_call() {
	local st
	topo_up
	rtr "$CTL" stats reset
	peer_server cnt --answer
	peer_phone cnt --sport 5060 --call
	server_ok cnt
	st=$(rtr "$CTL" stats udp 5060)
	echo "$st"
	echo "$st" | grep -Eq ' seen [1-9]'
	echo "$st" | grep -Eq ' rewritten [1-9]'
	echo "$st" | grep -Eq ' pinholes-opened [1-9]'
	echo "$st" | grep -Eq ' pinholes-expired [1-9]'
	topo_down
}

if [ ! -x "$CTL" ]; then
	t_skip udp-policy "no $CTL (make -C userspace)"
	e2e_finish
	exit
fi
e2e_module_load
e2e_test udp-policy-force-rport force_rport
e2e_test udp-policy-disable-passes-untouched disabled
e2e_test udp-counters-after-call counters_after_call
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
