#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the kernel's checkpatch.pl (from Debian's linux-source-6.1) on the
# module's sources: scripts/checkpatch.sh [FILES...]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${SIPALG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sipalg}
cp_dir=$cache/checkpatch
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	src=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
	if [ -z "$src" ]; then
		echo "checkpatch: install linux-source-6.1 (scripts/install-deps.sh)" >&2
		exit 2
	fi
	mkdir -p "$cp_dir"
	tar -xf "$src" -C "$cp_dir" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
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
