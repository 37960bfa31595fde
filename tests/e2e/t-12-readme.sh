#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's "Using it on a router" commands, taken from the README itself
# and run against the module: the modprobe line's parameters, the ```nft
# block, the ```sh block of iptables rules, then unloading.
#
#   netns sa-readme: the rules are applied here, never in the guest's own
#   namespace, and removed with it
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
readme=$E2E_TOP/README
ns=sa-readme
trap 'ip netns del $ns 2>/dev/null || true' EXIT

# the lines of the first fenced block with info string $1
block() {
	awk -v tag="\`\`\`$1" '
		$0 == tag { on = 1; next }
		on && /^```/ { exit }
		on { print }' "$readme"
}

modprobe_params() {
	local line params
	line=$(grep -E '^\s+sudo modprobe sipalg' "$readme" | head -n 1)
	echo "README: $line"
	read -r -a params <<<"${line#*modprobe sipalg}"
	[ "${#params[@]}" -gt 0 ]
	e2e_module_unload
	e2e_module_load "${params[@]}"
	for p in "${params[@]}"; do
		echo "/sys/module/sipalg/parameters/${p%%=*}: $(cat "/sys/module/sipalg/parameters/${p%%=*}")"
		[ "$(cat "/sys/module/sipalg/parameters/${p%%=*}")" = "${p#*=}" ]
	done
}

nft_block() {
	local rules
	rules=$(block nft)
	[ -n "$rules" ]
	ip netns add "$ns"
	echo "$rules" | ip netns exec "$ns" nft -f -
	ip netns exec "$ns" nft list ct helpers table inet sipalg | tee /dev/stderr |
		grep -c 'type "sipalg" protocol' | grep -qx 2
	ip netns del "$ns"
}

iptables_block() {
	local n=0 line
	ip netns add "$ns"
	while read -r line; do
		case $line in
		iptables* | ip6tables*) ;;
		*) continue ;;
		esac
		echo "+ $line"
		# shellcheck disable=SC2086
		ip netns exec "$ns" $line
		n=$((n + 1))
	done < <(block sh)
	[ "$n" = 4 ]
	[ "$(ip netns exec "$ns" iptables -t raw -S PREROUTING | grep -c -- '--helper sipalg')" = 2 ]
	[ "$(ip netns exec "$ns" ip6tables -t raw -S PREROUTING | grep -c -- '--helper sipalg')" = 2 ]
	ip netns del "$ns"
}

e2e_test readme-modprobe-ports modprobe_params
if e2e_module_loaded; then
	e2e_test readme-nft-rules nft_block
	e2e_test readme-iptables-rules iptables_block
	e2e_test readme-rmmod-after-rules-gone e2e_module_unload
else
	t_skip readme-rules "the module did not load"
fi
e2e_finish
