#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the kernel's checkpatch.pl on the module's sources:
#   scripts/checkpatch.sh [--strict] [FILES...]
# --strict adds checkpatch's CHECKs (its rules for code under net/), less
# the per-file exceptions below, each with its reason.
# checkpatch.pl comes from Debian's linux-source-6.1 (or -6.12) tarball in
# /usr/src, extracted once into ~/.cache/sipalg/checkpatch. Without one it
# says which package to install and exits 2.
# SIPALG_LINUX_SOURCE_DIR: where the tarballs are (default /usr/src).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${SIPALG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sipalg}
srcdir=${SIPALG_LINUX_SOURCE_DIR:-/usr/src}
cp_dir=$cache/checkpatch

die() {
	echo "checkpatch: $*" >&2
	exit 2
}

command -v perl >/dev/null || die "perl is not installed: apt-get install perl"
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	src=
	for f in "$srcdir"/linux-source-6.1.tar.* "$srcdir"/linux-source-6.12.tar.*; do
		[ -f "$f" ] && { src=$f; break; }
	done
	[ -n "$src" ] || die "no kernel source tarball in $srcdir (checkpatch.pl comes from it): apt-get install linux-source-6.1, or run scripts/install-deps.sh"
	rm -rf "$cp_dir"
	mkdir -p "$cp_dir"
	tar -xf "$src" -C "$cp_dir" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' ||
		die "could not extract checkpatch.pl from $src"
fi
strict=()
if [ "${1-}" = --strict ]; then
	strict=(--strict)
	shift
fi
cd "$top"
if [ $# -eq 0 ]; then
	set -- $(find kmod -name '*.[ch]' | sort)
fi
# Per-file exceptions:
# - kmod/compat.h is the one file that tests the kernel version (the module
#   builds for several kernels; version differences live there and nowhere
#   else): checkpatch's rules for in-tree code against LINUX_VERSION_CODE
#   (and its reading of it as a constant on the left) do not apply to it.
# - kmod/core/sa_types.h maps the kernel's u8..s64 to <stdint.h> for the
#   userspace builds of the core: the stdint names are its subject.
# - kmod/core/util.c: SA_O() reuses its argument, and is only ever given
#   constants (the initialisers of a 256-entry table), so nothing is
#   evaluated twice at run time.
ignores() {
	case ${1#./} in
	kmod/compat.h | "$top/kmod/compat.h")
		echo LINUX_VERSION_CODE,CONSTANT_COMPARISON ;;
	kmod/core/sa_types.h | "$top/kmod/core/sa_types.h")
		echo PREFER_KERNEL_TYPES ;;
	kmod/core/util.c | "$top/kmod/core/util.c")
		echo MACRO_ARG_REUSE ;;
	esac
}
run() {
	perl "$cp_dir/scripts/checkpatch.pl" --no-tree --quiet --show-types \
		"${strict[@]}" --ignore "FILE_PATH_CHANGES$1" -f "${@:2}"
}
others=() rc=0
for f in "$@"; do
	ign=$(ignores "$f")
	if [ -n "$ign" ]; then
		run ",$ign" "$f" || rc=1
	else
		others+=("$f")
	fi
done
if [ "${#others[@]}" -gt 0 ]; then
	run "" "${others[@]}" || rc=1
fi
exit "$rc"
