# SPDX-License-Identifier: GPL-2.0
# Sourced by the scripts that boot one guest (demo.sh, bench.sh,
# bench-helper.sh). vm_pick_kernel SERIES prints the newest installed
# kernel of SERIES (e.g. 6.12) that a guest can boot (/boot/vmlinuz-K) and
# the module can be built for (its headers), not the cloud or rt flavour;
# nothing when there is none.
# vm_build_ctl TOP DIR builds sipalgctl from a copy of TOP's sources in DIR
# (the tree's userspace/ is left alone) and prints its path; nothing when
# it does not build (DIR/build.log says why).
vm_pick_kernel() {
	local k
	find /usr/lib/modules -mindepth 1 -maxdepth 1 -name "$1.*-amd64" \
		-not -name '*-cloud-amd64' -not -name '*-rt-amd64' -printf '%f\n' 2>/dev/null |
		sort -V | while read -r k; do
			[ -d "/usr/lib/modules/$k/build" ] && [ -r "/boot/vmlinuz-$k" ] && echo "$k"
		done | tail -n 1
}

vm_build_ctl() {
	rm -rf "$2"
	mkdir -p "$2"
	(cd "$1" && tar cf - userspace kmod/core kmod/uapi) | (cd "$2" && tar xf -)
	if make -s -C "$2/userspace" sipalgctl >"$2/build.log" 2>&1; then
		echo "$2/userspace/sipalgctl"
	fi
}
