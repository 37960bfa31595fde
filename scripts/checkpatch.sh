#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the kernel's checkpatch.pl on the module's sources:
#   scripts/checkpatch.sh [FILES...]
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
cd "$top"
if [ $# -eq 0 ]; then
	set -- $(find kmod -name '*.[ch]' | sort)
fi
# kmod/compat.h is the one file that tests the kernel version (the module
# builds for several kernels; version differences live there and nowhere
# else): checkpatch's rules for in-tree code against LINUX_VERSION_CODE (and
# its reading of it as a constant on the left) do not apply to it
others=() rc=0
for f in "$@"; do
	case $f in
	kmod/compat.h | ./kmod/compat.h | "$top/kmod/compat.h")
		perl "$cp_dir/scripts/checkpatch.pl" --no-tree --quiet --show-types \
			--ignore FILE_PATH_CHANGES,LINUX_VERSION_CODE,CONSTANT_COMPARISON \
			-f "$f" || rc=1 ;;
	*) others+=("$f") ;;
	esac
done
if [ "${#others[@]}" -gt 0 ]; then
	perl "$cp_dir/scripts/checkpatch.pl" --no-tree --quiet --show-types \
		--ignore FILE_PATH_CHANGES -f "${others[@]}" || rc=1
fi
exit "$rc"
