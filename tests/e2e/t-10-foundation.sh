#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Foundation: the module loads on this kernel with only the out-of-tree and
# unsigned taints, its four helpers (UDP/TCP x IPv4/IPv6) can be attached with
# nftables and iptables, a SIP call through the masquerading router gets the
# helper, and the module unloads once the rules are gone.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/topo.sh
. "$(dirname "$0")/topo.sh"
trap topo_down EXIT

# A read-only parameter given at load (modprobe sipalg tcp_held=1, or an
# options line in modprobe.d) is refused by its name, and nothing breaks:
# the kernel calls a parameter's .set for a load argument without checking
# there is one, so one without it would take insmod down in the kernel.
readonly_params_refused() {
	local p out
	for p in tcp_held untracked_calls unrecorded_calls untracked_pinholes \
		unrecorded_media_sources expect_max stale_pinholes; do
		if out=$(e2e_module_load "$p=1" 2>&1); then
			echo "$p=1 was taken at load"
			rmmod sipalg
			return 1
		fi
		echo "$p=1: ${out##*: }"
		dmesg | grep -qF "sipalg: \`1' invalid for parameter \`$p'"
		if e2e_module_loaded; then
			echo "the module is loaded after $p=1 was refused"
			return 1
		fi
	done
	if dmesg | grep -E "$E2E_BAD_KLOG"; then
		echo "kernel log has warnings (above)"
		return 1
	fi
}

module_loads() {
	# shellcheck disable=SC2119 # no module parameters
	e2e_module_load
	grep -q '^sipalg ' /proc/modules
	[ "$(cat /sys/module/sipalg/initstate)" = live ]
}

# O: out-of-tree, E: unsigned. Anything else (P proprietary, F forced, W
# warning, ...) on the module or the kernel is a failure.
taints_only_oe() {
	local mod kern
	mod=$(cat /sys/module/sipalg/taint)
	echo "module taint flags: '$mod'"
	[[ $mod == *O* ]]
	[[ $mod =~ ^[OE]+$ ]]
	kern=$(cat /proc/sys/kernel/tainted)
	echo "kernel taint mask: $kern"
	[ $((kern & ~(4096 | 8192))) = 0 ]
}

# one nftables ct helper object in its own table; prints nft's error
nft_helper() {
	local type=$1 proto=$2 l3=$3 ns=sa-nft out
	ip netns add "$ns"
	local rc=0
	ip netns exec "$ns" nft -f - <<-NFT || rc=$?
	table inet sa_probe {
		ct helper h { type "$type" protocol $proto; l3proto $l3; }
	}
	NFT
	if [ "$rc" = 0 ]; then
		# (no `| grep -q` under pipefail: an early exit of grep can SIGPIPE
		# the writer and fail the pipeline)
		out=$(ip netns exec "$ns" nft list ct helpers table inet sa_probe) || rc=1
		echo "$out"
		[[ $out == *"type \"$type\" protocol $proto"* ]] || rc=1
	fi
	ip netns del "$ns"
	return "$rc"
}

nft_helper_rejects_bogus() {
	if nft_helper sipalg-no-such-helper udp ip; then
		echo "nft accepted a helper type that no module registers"
		return 1
	fi
}

# iptables -t raw ... -j CT --helper sipalg, UDP and TCP, with the given
# iptables binary; a bogus helper name must be refused
ipt_ct_helper() {
	local ipt=$1 ns=sa-ipt rc=0
	ip netns add "$ns"
	{
		ip netns exec "$ns" "$ipt" -t raw -A PREROUTING -p udp --dport 5060 -j CT --helper sipalg &&
			ip netns exec "$ns" "$ipt" -t raw -A PREROUTING -p tcp --dport 5060 -j CT --helper sipalg &&
			ip netns exec "$ns" "$ipt" -t raw -S PREROUTING | tee /dev/stderr |
			grep -c -- '--helper sipalg' | grep -qx 2
	} || rc=1
	if ip netns exec "$ns" "$ipt" -t raw -A PREROUTING -p udp --dport 5060 \
		-j CT --helper sipalg-no-such-helper; then
		echo "$ipt accepted a helper that no module registers"
		rc=1
	fi
	ip netns exec "$ns" "$ipt" -t raw -F PREROUTING || rc=1
	ip netns del "$ns"
	return "$rc"
}

# a SIPp call from the client to the server through the router; the
# router's conntrack entry for it must carry helper=sipalg, and the NAT must
# have moved it to the router's address
call_gets_helper() {
	local helper=$1 fam=$2 proto=$3 ct wan opts=()
	topo_up --helper "$helper"
	[ "$fam" = 6 ] && opts+=(-6)
	[ "$proto" = tcp ] && opts+=(-t)
	topo_sipp_uas "${opts[@]}"
	topo_sipp_uac "${opts[@]}"
	ct=$(topo_ct -f "ipv$fam" -p "$proto" --orig-port-dst 5060)
	echo "router conntrack: $ct"
	wan=$RTR_WAN4
	[ "$fam" = 6 ] && wan=$RTR_WAN6
	echo "$ct" | grep -q "dst=$wan "
	echo "$ct" | grep -q 'helper=sipalg'
	topo_down
}

# control: the same call without any helper rule shows no helper, so the
# check above is able to fail
call_without_rules_has_no_helper() {
	local ct
	topo_up --helper none
	topo_sipp_uas
	topo_sipp_uac
	ct=$(topo_ct -f ipv4 -p udp --orig-port-dst 5060)
	echo "router conntrack: $ct"
	[ -n "$ct" ]
	if echo "$ct" | grep -q 'helper='; then
		echo "a helper was attached without any rule"
		return 1
	fi
	topo_down
}

module_unloads() {
	topo_down
	[ -z "$(nft list tables)" ] || nft list ruleset
	rmmod sipalg
	[ ! -d /sys/module/sipalg ]
	# and its helpers are gone: nft can no longer create the object
	if nft_helper sipalg udp inet; then
		echo "helper type sipalg still registered after rmmod"
		return 1
	fi
}

e2e_test readonly-params-refused-at-load readonly_params_refused
e2e_test module-loads module_loads
if ! e2e_module_loaded; then
	t_skip module-rest "the module did not load"
	e2e_finish
	exit
fi
e2e_test module-taints-only-O-E taints_only_oe
e2e_test nft-helper-udp-ip nft_helper sipalg udp ip
e2e_test nft-helper-tcp-ip nft_helper sipalg tcp ip
e2e_test nft-helper-udp-ip6 nft_helper sipalg udp ip6
e2e_test nft-helper-tcp-ip6 nft_helper sipalg tcp ip6
e2e_test nft-helper-bogus-rejected nft_helper_rejects_bogus
for ipt in iptables ip6tables iptables-legacy ip6tables-legacy; do
	if e2e_have "$ipt"; then
		e2e_test "$ipt-raw-ct-helper" ipt_ct_helper "$ipt"
	else
		t_skip "$ipt-raw-ct-helper" "$ipt not installed"
	fi
done
if e2e_have sipp conntrack tcpdump; then
	e2e_test call-udp-ip-nft-helper call_gets_helper nft 4 udp
	e2e_test call-udp-ip6-nft-helper call_gets_helper nft 6 udp
	e2e_test call-tcp-ip-nft-helper call_gets_helper nft 4 tcp
	e2e_test call-tcp-ip6-nft-helper call_gets_helper nft 6 tcp
	e2e_test call-udp-ip-iptables-helper call_gets_helper iptables 4 udp
	e2e_test call-udp-ip6-ip6tables-helper call_gets_helper iptables 6 udp
	e2e_test call-without-rules-has-no-helper call_without_rules_has_no_helper
else
	t_skip calls "sipp, conntrack or tcpdump missing"
fi
e2e_test module-unloads module_unloads
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
