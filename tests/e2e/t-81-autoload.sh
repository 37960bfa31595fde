#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sipalgctl loads the module on demand: looking up the generic netlink
# family "sipalg" makes the kernel ask for net-pf-16-proto-16-family-sipalg,
# the module's MODULE_ALIAS_GENL_FAMILY. The guest's /lib/modules does not
# hold sipalg.ko (it is the host's tree), so an install is made here, in a
# module tree of its own that depmod indexes, and the kernel's modprobe
# helper (/proc/sys/kernel/modprobe) is pointed at a wrapper that runs
# modprobe on that tree, as tests/pkg/guest.sh does for the packages.
# Without it (the real modprobe, no sipalg.ko installed) the command says
# the module is not loaded, exit 4.
. "$(dirname "$0")/lib.sh"
CTL=$E2E_TOP/userspace/sipalgctl
ROOT=/tmp/sipalg-autoload
OLD_MODPROBE=$(cat /proc/sys/kernel/modprobe)
restore() {
	echo "$OLD_MODPROBE" >/proc/sys/kernel/modprobe
}
trap restore EXIT

setup_tree() {
	local kver ko
	kver=$(uname -r)
	ko=${SIPALG_KO:?}
	rm -rf "$ROOT"
	mkdir -p "$ROOT/lib/modules/$kver/extra"
	cp "$ko" "$ROOT/lib/modules/$kver/extra/sipalg.ko"
	depmod -b "$ROOT" "$kver"
	# the alias is in the index depmod made from the module itself
	grep -q '^alias net-pf-16-proto-16-family-sipalg sipalg$' "$ROOT/lib/modules/$kver/modules.alias"
	cat >"$ROOT/modprobe" <<EOF
#!/bin/sh
echo "\$*" >>$ROOT/asked
# the module's dependencies come from the guest's own tree
deps=\$(modinfo -F depends $ko | tr ',' ' ')
[ -z "\$deps" ] || /sbin/modprobe -a \$deps
exec /sbin/modprobe -d $ROOT "\$@"
EOF
	chmod +x "$ROOT/modprobe"
}

autoload() {
	e2e_module_unload
	setup_tree
	echo "$ROOT/modprobe" >/proc/sys/kernel/modprobe
	: >"$ROOT/asked"
	"$CTL" stats >"$E2E_OUT/stats.txt"
	echo "modprobe was asked for: $(cat "$ROOT/asked")"
	grep -q 'net-pf-16-proto-16-family-sipalg' "$ROOT/asked"
	e2e_module_loaded
	grep -q seen "$E2E_OUT/stats.txt"
}

not_installed() {
	local rc=0 err
	restore
	e2e_module_unload
	err=$("$CTL" policy show 2>&1) || rc=$?
	echo "exit $rc: $err"
	[ "$rc" = 4 ]
	[[ $err == *"the sipalg kernel module is not loaded"* ]]
	! e2e_module_loaded
}

e2e_test ctl-autoloads-module autoload
e2e_test ctl-module-not-installed-message not_installed
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
