#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build sipalg.ko for one kernel in a private copy of the tree, so builds for
# several kernels (and several builders) never share object files.
#
#   scripts/build-kmod.sh KVER [OUTDIR]     -> OUTDIR/sipalg.ko
#
# OUTDIR defaults to .build/KVER. Fails when the build prints any warning.
# Against /usr/lib/modules/KVER/build on the host when it exists; otherwise,
# for Debian sid's kernel, in the sid build chroot (scripts/sid.sh, set up by
# scripts/install-deps.sh --kernel sid), with sid's compiler.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: build-kmod.sh KVER [OUTDIR]}
out=${2:-$top/.build/$kver}
mkdir -p "$out"
out=$(cd "$out" && pwd)
kdir=/usr/lib/modules/$kver/build
log=$out/build.log
if [ -d "$kdir" ]; then
	# copy sources only (no objects from an in-tree build)
	(cd "$top" && tar cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod*' Kbuild kmod) | (cd "$out" && tar xf -)
	if ! make -C "$kdir" M="$out" modules >"$log" 2>&1; then
		cat "$log" >&2
		echo "build-kmod: build against $kver failed" >&2
		exit 1
	fi
elif [ -d "$("$top/scripts/sid.sh" root)/usr/lib/modules/$kver/build" ]; then
	if ! "$top/scripts/sid.sh" build "$kver" "$out"; then
		cat "$log" >&2 2>/dev/null || true
		echo "build-kmod: build against $kver (in the sid chroot) failed" >&2
		exit 1
	fi
else
	echo "build-kmod: no kernel build tree at $kdir (install linux-headers-$kver," \
		"or for sid's kernel: scripts/install-deps.sh --kernel sid)" >&2
	exit 1
fi
if grep -E 'warning:|error:|WARNING:' "$log" >&2; then
	echo "build-kmod: build against $kver printed warnings (above)" >&2
	exit 1
fi
echo "$out/sipalg.ko"
