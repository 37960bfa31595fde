#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest's initramfs for one installed Debian kernel: static busybox,
# the virtio and 9p modules that kernel needs to mount the host's root, and
# scripts/vm/init. The result is cached and rebuilt only when missing or
# older than its inputs.
#
#   scripts/vm/mkinitramfs.sh KVER [OUT]     -> OUT (default .build/vm/KVER/initramfs.cpio.gz)
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${1:?usage: mkinitramfs.sh KVER [OUT]}
out=${2:-$top/.build/vm/$kver/initramfs.cpio.gz}
init=$top/scripts/vm/init
busybox=/bin/busybox

if [ ! -d "/usr/lib/modules/$kver/kernel" ]; then
	echo "mkinitramfs: no modules for $kver in /usr/lib/modules (install linux-image-$kver)" >&2
	exit 1
fi
if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	# file(1) may be missing: ask ldd instead
	if ldd "$busybox" >/dev/null 2>&1; then
		echo "mkinitramfs: $busybox is not static (apt-get install busybox-static)" >&2
		exit 1
	fi
fi

if [ -s "$out" ] && [ "$out" -nt "$init" ] && [ "$out" -nt "$0" ] &&
	[ "$out" -nt "/usr/lib/modules/$kver/modules.dep" ]; then
	echo "$out"
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$busybox" "$work/bin/busybox"
cp "$init" "$work/init"
chmod 755 "$work/init" "$work/bin/busybox"

# modprobe prints one "insmod PATH" per module in load order (duplicates when
# several names share a dependency) and "builtin NAME" for built-in ones
: >"$work/lib/modules/load-order"
modprobe --show-depends -a -S "$kver" virtio_pci 9pnet_virtio 9p |
	awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
	while read -r ko; do
		name=$(basename "$ko")
		case $name in
		*.ko.xz) xz -dc "$ko" >"$work/lib/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -qdc "$ko" >"$work/lib/modules/${name%.zst}"; name=${name%.zst} ;;
		*.ko.gz) gzip -dc "$ko" >"$work/lib/modules/${name%.gz}"; name=${name%.gz} ;;
		*) cp "$ko" "$work/lib/modules/$name" ;;
		esac
		echo "$name" >>"$work/lib/modules/load-order"
	done
if ! grep -q '^9p\.ko$' "$work/lib/modules/load-order"; then
	echo "mkinitramfs: modprobe found no 9p module for $kver" >&2
	exit 1
fi

mkdir -p "$(dirname "$out")"
# a private name, then rename: concurrent builders never see half a file
(cd "$work" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out.$$"
mv "$out.$$" "$out"
echo "$out"
