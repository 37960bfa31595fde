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
exec perl "$cp_dir/scripts/checkpatch.pl" --no-tree --quiet --show-types \
	--ignore FILE_PATH_CHANGES -f "$@"
