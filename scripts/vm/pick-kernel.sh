# SPDX-License-Identifier: GPL-2.0
# Sourced by the scripts that boot one guest (demo.sh, bench.sh,
# bench-helper.sh). vm_pick_kernel SERIES prints the newest installed
# kernel of SERIES (e.g. 6.12) that a guest can boot (/boot/vmlinuz-K) and
# the module can be built for (its headers), not the cloud or rt flavour;
# nothing when there is none.
vm_pick_kernel() {
	local k
	find /usr/lib/modules -mindepth 1 -maxdepth 1 -name "$1.*-amd64" \
		-not -name '*-cloud-amd64' -not -name '*-rt-amd64' -printf '%f\n' 2>/dev/null |
		sort -V | while read -r k; do
			[ -d "/usr/lib/modules/$k/build" ] && [ -r "/boot/vmlinuz-$k" ] && echo "$k"
		done | tail -n 1
}
