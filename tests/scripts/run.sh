#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The project's own scripts, as a developer meets them (stage "scripts"):
# checkpatch.sh on a machine without the kernel source says what to install
# and fails; with it, it finds a style error it is shown, and the module's
# sources are clean. The demo runs from a checkout under /tmp (it boots a
# guest: as root, with the install-deps packages). Prints PASS/FAIL/SKIP lines and "N passed, M failed, K
# skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
W=$(mktemp -d /tmp/sipalg-scripts.XXXXXX)
trap 'rm -rf "$W"' EXIT

# no linux-source tarball and nothing cached: exit 2, naming the package
checkpatch_no_source() {
	local rc=0
	SIPALG_CACHE=$W/cache SIPALG_LINUX_SOURCE_DIR=$W/none \
		"$top/scripts/checkpatch.sh" >"$W/o" 2>"$W/e" || rc=$?
	cat "$W/o" "$W/e"
	[ "$rc" = 2 ] || { echo "want exit 2, got $rc"; return 1; }
	grep -q "apt-get install linux-source-6.1" "$W/e" || { echo "no install hint"; return 1; }
}
t_run checkpatch-no-source-says-what-to-install checkpatch_no_source

have_source() {
	local f
	for f in /usr/src/linux-source-6.1.tar.* /usr/src/linux-source-6.12.tar.*; do
		[ -f "$f" ] && return 0
	done
	return 1
}

# a file with two errors checkpatch knows (trailing whitespace, C99 comment)
checkpatch_finds_error() {
	local rc=0
	printf '// SPDX-License-Identifier: GPL-2.0\nstatic int x = 1; \n' >"$W/bad.c"
	"$top/scripts/checkpatch.sh" "$W/bad.c" >"$W/o" 2>&1 || rc=$?
	cat "$W/o"
	[ "$rc" != 0 ] || { echo "checkpatch passed a bad file"; return 1; }
	grep -q "TRAILING_WHITESPACE" "$W/o"
}

checkpatch_module_clean() {
	"$top/scripts/checkpatch.sh"
}

checkpatch_strict_module_clean() {
	"$top/scripts/checkpatch.sh" --strict
}

# two blank lines in a row: a CHECK, which only --strict reports
checkpatch_strict_finds_check() {
	local rc=0
	printf '// SPDX-License-Identifier: GPL-2.0\nstatic int x = 1;\n\n\nstatic int y = 2;\n' >"$W/spaced.c"
	"$top/scripts/checkpatch.sh" "$W/spaced.c" >"$W/o" 2>&1 ||
		{ cat "$W/o"; echo "without --strict it failed"; return 1; }
	"$top/scripts/checkpatch.sh" --strict "$W/spaced.c" >"$W/o" 2>&1 || rc=$?
	cat "$W/o"
	[ "$rc" != 0 ] || { echo "--strict passed two blank lines"; return 1; }
	grep -q "CHECK:LINE_SPACING" "$W/o"
}

if have_source; then
	t_run checkpatch-finds-trailing-whitespace checkpatch_finds_error
	t_run checkpatch-module-sources-clean checkpatch_module_clean
	t_run checkpatch-strict-finds-a-check checkpatch_strict_finds_check
	t_run checkpatch-strict-module-sources-clean checkpatch_strict_module_clean
else
	t_skip checkpatch-finds-trailing-whitespace "no /usr/src/linux-source-6.1 tarball (scripts/install-deps.sh installs it)"
	t_skip checkpatch-module-sources-clean "no /usr/src/linux-source-6.1 tarball"
	t_skip checkpatch-strict-finds-a-check "no /usr/src/linux-source-6.1 tarball"
	t_skip checkpatch-strict-module-sources-clean "no /usr/src/linux-source-6.1 tarball"
fi

# The demo from a checkout under /tmp, which the guest covers with its own
# tmpfs: the rig binds the checkout back in. A copy of the working tree's
# files (tracked and new ones, not .build), run as a new user would.
demo_from_tmp() {
	local co rc=0
	co=$(mktemp -d /tmp/sipalg-checkout.XXXXXX)
	(cd "$top" && git ls-files -z -co --exclude-standard | cpio -0 -pdm --quiet "$co") || return 1
	"$co/scripts/demo.sh" >"$W/demo.out" 2>&1 || rc=$?
	tail -n 40 "$W/demo.out"
	rm -rf "$co"
	[ "$rc" = 0 ] || { echo "demo exit $rc"; return 1; }
	grep -q "^call completed" "$W/demo.out" || { echo "no completed call"; return 1; }
	grep -q "rewritten to the NAT's address and port" "$W/demo.out" || { echo "Via not rewritten"; return 1; }
}
if [ "$(id -u)" != 0 ]; then
	t_skip demo-from-checkout-under-tmp "not root (the demo boots a guest and loads the module: run make check as root)"
elif ! command -v qemu-system-x86_64 >/dev/null || ! ls /boot/vmlinuz-6.12.* >/dev/null 2>&1; then
	t_skip demo-from-checkout-under-tmp "no qemu-system-x86_64 or 6.12 kernel (scripts/install-deps.sh)"
elif ! command -v git >/dev/null || ! command -v cpio >/dev/null || ! git -C "$top" rev-parse 2>/dev/null; then
	t_skip demo-from-checkout-under-tmp "not a git checkout, or no git/cpio to copy it"
else
	t_run demo-from-checkout-under-tmp demo_from_tmp
fi

t_summary
