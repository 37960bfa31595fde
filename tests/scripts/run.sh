#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The project's own scripts, as a developer meets them (stage "scripts"):
# checkpatch.sh on a machine without the kernel source says what to install
# and fails; with it, it finds a style error it is shown, and the module's
# sources are clean. Prints PASS/FAIL/SKIP lines and "N passed, M failed, K
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

if have_source; then
	t_run checkpatch-finds-trailing-whitespace checkpatch_finds_error
	t_run checkpatch-module-sources-clean checkpatch_module_clean
else
	t_skip checkpatch-finds-trailing-whitespace "no /usr/src/linux-source-6.1 tarball (scripts/install-deps.sh installs it)"
	t_skip checkpatch-module-sources-clean "no /usr/src/linux-source-6.1 tarball"
fi

t_summary
