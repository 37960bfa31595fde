#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the guest (tests/pkg/run.sh boots it on KVER): the module DKMS
# installed in the chroot SIPALG_PKG_ROOT is loaded with modprobe, from the
# chroot's own module tree (modules.dep and modules.alias as DKMS's depmod
# wrote them there). The chroot has the kernel's headers only, not its
# modules, so what sipalg links against (nf_conntrack, nf_nat) comes from
# the guest's own tree first, as modprobe would on an installed system.
# Then the UDP call tests (tests/e2e/t-21) run through that module.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# the host's T_LOGDIR is passed through but read-only here: the results share
export T_LOGDIR=${SIPALG_RESULTS:-/tmp}/pkg-logs
mkdir -p "$T_LOGDIR"
. "$top/tests/lib.sh"
root=${SIPALG_PKG_ROOT:?}
k=$(uname -r)

modprobe_installed() {
	local ko deps
	ko=$(modprobe -d "$root" --show-depends sipalg | awk '/updates\/dkms\/sipalg.ko/ {print $2}')
	echo "installed module: $ko"
	[ -n "$ko" ] || return 1
	deps=$(modinfo -F depends "$ko" | tr ',' ' ')
	# shellcheck disable=SC2086
	[ -z "$deps" ] || modprobe -a $deps || return 1
	modprobe -d "$root" sipalg || return 1
	[ -d /sys/module/sipalg ] || return 1
	# the loaded module is the chroot's
	echo "srcversion loaded $(cat /sys/module/sipalg/srcversion), installed $(modinfo -F srcversion "$ko")"
	[ "$(cat /sys/module/sipalg/srcversion)" = "$(modinfo -F srcversion "$ko")" ] || return 1
	dmesg | grep -i sipalg | tail -n 5
}
t_run pkg-modprobe-installed-module modprobe_installed
if [ "$T_FAILED" != 0 ]; then
	t_summary
	exit 1
fi
# e2e_module_load leaves a loaded module alone; a test that reloads it
# insmods SIPALG_KO, the same DKMS build decompressed
"$top/tests/e2e/run.sh" t-21
rc=$?
[ "$rc" = 0 ] && t_summary && exit 0
exit 1
