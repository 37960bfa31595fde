#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debian sid's newest kernel (Linux 7.x) for sipalg's tests, without touching
# the bookworm host's packages:
#
#   scripts/sid.sh setup         (root) create or update the sid build chroot,
#                                install linux-headers for sid's current
#                                kernel in it, and unpack that kernel for the
#                                QEMU guest; prints the kernel version
#   scripts/sid.sh kver          the kernel the last setup installed (exit 1
#                                when there is none)
#   scripts/sid.sh build KVER OUTDIR   (root) build sipalg.ko for KVER in the
#                                chroot -> OUTDIR/sipalg.ko, OUTDIR/build.log
#   scripts/sid.sh root          the chroot's path
#
# Where things go:
#   $SIPALG_SID_ROOT (default ~/.cache/sipalg/sid-root): a debootstrap
#       --variant=buildd sid chroot with sid's own apt config, gcc and
#       linux-headers-KVER (the headers need sid's gcc, and kbuild's host tools
#       sid's glibc; bookworm has neither). About 700 MB.
#   /boot/vmlinuz-KVER, /boot/config-KVER, /boot/System.map-KVER and
#   /usr/lib/modules/KVER (with depmod's indexes): the kernel for the guest,
#   which boots /boot/vmlinuz-KVER and loads its modules from the host's
#   root. Marked as ours by /usr/lib/modules/KVER/.sipalg-sid; an older
#   kernel with that mark is removed when sid moves on. No build/ link is made
#   on the host: the host's compiler cannot build for this kernel.
#
# Setup is idempotent: a rerun refreshes sid's package lists (older than 6
# hours), follows sid to its current kernel and does nothing else when the
# kernel is already in place. SIPALG_SID_MIRROR picks the mirror (default
# http://deb.debian.org/debian).
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

cache=${SIPALG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sipalg}
root=${SIPALG_SID_ROOT:-$cache/sid-root}
mirror=${SIPALG_SID_MIRROR:-http://deb.debian.org/debian}
stamp_name=.sipalg-sid

say() { echo "sid: $*" >&2; }
die() { echo "sid: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root (chroot, /boot)"; }

# a command in the chroot, with a clean environment (no host locale, PATH)
# and /proc (objtool reads it), mounted in a private mount namespace that
# goes away with the command: nothing stays mounted on the host
in_root() {
	env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive \
		unshare --mount --propagation private \
		sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" "$@"
}

# no pty in the chroot (Dpkg::Use-Pty); downloads into root's directories
# (APT::Sandbox::User)
APT=(apt-get -y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io
     -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 -o APT::Sandbox::User=root)

# the chroot's kernel: the linux-headers-KVER that sid's linux-headers-amd64
# depends on now
current_kver() {
	in_root apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -nE 's/^ *Depends: linux-headers-([0-9][^ ]*-amd64)$/\1/p' | sort -V | tail -n 1
}

have_pkg() {
	in_root dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

setup_chroot() {
	local t0 tmp
	if [ -e "$root/$stamp_name" ]; then
		return 0
	fi
	command -v debootstrap >/dev/null ||
		die "debootstrap missing (scripts/install-deps.sh --kernel sid installs it)"
	t0=$(date +%s)
	say "creating the sid build chroot in $root (debootstrap --variant=buildd, ~700 MB)"
	mkdir -p "$(dirname "$root")"
	tmp=$root.new
	rm -rf "$tmp"
	debootstrap --variant=buildd sid "$tmp" "$mirror" >"$(dirname "$root")/debootstrap.log" 2>&1 || {
		tail -n 20 "$(dirname "$root")/debootstrap.log" >&2
		die "debootstrap failed (log: $(dirname "$root")/debootstrap.log)"
	}
	rm -rf "$root"
	mv "$tmp" "$root"
	date -u +%FT%TZ >"$root/$stamp_name"
	say "chroot ready in $(( $(date +%s) - t0 )) s"
}

apt_update() {
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	if [ -n "$(find "$root/var/lib/apt/lists" -maxdepth 1 -name '*Packages*' -mmin -360 2>/dev/null | head -n 1)" ]; then
		return 0
	fi
	say "apt-get update (sid, in the chroot)"
	in_root apt-get update -q >/dev/null && return 0
	# A mirror that is a snapshot serves a Release file past its
	# Valid-Until, which apt refuses: the lists the chroot has (from
	# debootstrap or an earlier update) still name the kernel it has
	# installed, so go on with them; without any, nothing can be found.
	[ -n "$(find "$root/var/lib/apt/lists" -maxdepth 1 -name '*Packages*' 2>/dev/null | head -n 1)" ] ||
		die "apt-get update failed in $root, and it has no package lists"
	say "apt-get update failed (above): going on with the chroot's package lists of $(date -u -r "$(find "$root/var/lib/apt/lists" -maxdepth 1 -name '*Packages*' | head -n 1)" +%F)"
}

install_headers() {
	local kver=$1 t0
	if have_pkg "linux-headers-$kver" && have_pkg kmod &&
	   [ -d "$root/usr/lib/modules/$kver/build" ]; then
		return 0
	fi
	t0=$(date +%s)
	say "installing linux-headers-$kver (and kmod, for depmod) in the chroot"
	in_root "${APT[@]}" install "linux-headers-$kver" kmod >/dev/null
	[ -d "$root/usr/lib/modules/$kver/build" ] ||
		die "linux-headers-$kver installed but $root/usr/lib/modules/$kver/build is missing"
	say "headers ready in $(( $(date +%s) - t0 )) s"
}

# the packages that carry KVER's image, modules, config and System.map; in
# 7.x linux-image-KVER is an empty meta-package over linux-binary-KVER,
# linux-modules-KVER and linux-base-KVER: take whichever of them exist
kernel_pkgs() {
	local kver=$1 p
	for p in linux-image linux-binary linux-modules linux-base; do
		if in_root apt-cache show "$p-$kver" >/dev/null 2>&1; then
			echo "$p-$kver"
		fi
	done
}

install_kernel() {
	local kver=$1 t0 dl tree vmlinuz m host_tmp
	if [ -e "/usr/lib/modules/$kver/$stamp_name" ] && [ -s "/boot/vmlinuz-$kver" ] &&
	   [ -s "/usr/lib/modules/$kver/modules.dep" ]; then
		return 0
	fi
	if [ -d "/usr/lib/modules/$kver" ] && [ ! -e "/usr/lib/modules/$kver/$stamp_name" ]; then
		die "/usr/lib/modules/$kver exists and is not from this script: not overwriting it"
	fi
	t0=$(date +%s)
	dl=/var/tmp/sipalg-kernel
	tree=$root$dl/tree
	rm -rf "${root:?}$dl"
	mkdir -p "$tree"
	mapfile -t pkgs < <(kernel_pkgs "$kver")
	[ "${#pkgs[@]}" -gt 0 ] || die "no package for kernel $kver in sid"
	say "downloading ${pkgs[*]} and unpacking them for the guest"
	in_root sh -c "cd $dl && ${APT[*]} download ${pkgs[*]}" >/dev/null
	in_root sh -c "cd $dl && for d in *.deb; do dpkg-deb -x \"\$d\" tree; done"
	# depmod -b looks in BASE/lib/modules on older kmod
	[ -e "$tree/lib" ] || ln -s usr/lib "$tree/lib"
	in_root depmod -b "$dl/tree" "$kver"
	vmlinuz=
	for m in "$tree/usr/lib/modules/$kver/vmlinuz" "$tree/boot/vmlinuz-$kver"; do
		[ -s "$m" ] && { vmlinuz=$m; break; }
	done
	[ -n "$vmlinuz" ] || die "no vmlinuz in ${pkgs[*]}"
	[ -s "$tree/usr/lib/modules/$kver/modules.dep" ] || die "depmod wrote no modules.dep for $kver"

	# onto the host: modules first (under a private name, then renamed),
	# the image last, so a half-done copy is never picked as a kernel
	host_tmp=/usr/lib/modules/.$kver.sipalg-new
	rm -rf "$host_tmp"
	cp -a "$tree/usr/lib/modules/$kver" "$host_tmp"
	rm -f "$host_tmp/build" "$host_tmp/source"
	date -u +%FT%TZ >"$host_tmp/$stamp_name"
	rm -rf "/usr/lib/modules/$kver"
	mv "$host_tmp" "/usr/lib/modules/$kver"
	for m in config System.map; do
		if [ -s "$tree/boot/$m-$kver" ]; then
			install -m 0644 "$tree/boot/$m-$kver" "/boot/$m-$kver"
		elif [ -s "$tree/usr/lib/modules/$kver/$m" ]; then
			install -m 0644 "$tree/usr/lib/modules/$kver/$m" "/boot/$m-$kver"
		fi
	done
	# mode 0644, as Debian installs its images
	install -m 0644 "$vmlinuz" "/boot/vmlinuz-$kver.sipalg-new"
	mv "/boot/vmlinuz-$kver.sipalg-new" "/boot/vmlinuz-$kver"
	rm -rf "${root:?}$dl"
	say "kernel $kver ready for the guest in $(( $(date +%s) - t0 )) s"
}

# earlier sid kernels this script installed, once sid has moved on: on the
# host, and their headers in the chroot
remove_old() {
	local kver=$1 d k old
	old=$(in_root dpkg-query -W -f='${Package} ${Status}\n' 'linux-headers-*' 'linux-kbuild-*' \
		2>/dev/null | awk -v keep="${kver%-amd64}" \
		'$NF == "installed" && index($1, keep) == 0 && $1 != "linux-headers-amd64" { print $1 }')
	if [ -n "$old" ]; then
		say "removing older headers from the chroot: $(echo $old)"
		# shellcheck disable=SC2086
		in_root "${APT[@]}" purge $old >/dev/null
	fi
	for d in /usr/lib/modules/*/"$stamp_name"; do
		[ -e "$d" ] || continue
		k=$(basename "$(dirname "$d")")
		[ "$k" = "$kver" ] && continue
		say "removing $k (an older sid kernel installed by this script)"
		rm -f "/boot/vmlinuz-$k" "/boot/config-$k" "/boot/System.map-$k"
		rm -rf "/usr/lib/modules/$k"
	done
}

cmd_setup() {
	local kver t0
	need_root setup
	t0=$(date +%s)
	setup_chroot
	apt_update
	kver=$(current_kver)
	[ -n "$kver" ] || die "sid's linux-headers-amd64 names no linux-headers-KVER (apt-get update in $root?)"
	say "sid's current kernel: $kver"
	install_headers "$kver"
	install_kernel "$kver"
	remove_old "$kver"
	echo "$kver" >"$root/.sipalg-kver"
	say "setup done in $(( $(date +%s) - t0 )) s"
	echo "$kver"
}

cmd_kver() {
	[ -s "$root/.sipalg-kver" ] || exit 1
	cat "$root/.sipalg-kver"
}

# sources copied into the chroot, built there with sid's toolchain, the
# module and the log copied out
cmd_build() {
	local kver=${1:?usage: sid.sh build KVER OUTDIR} out=${2:?usage: sid.sh build KVER OUTDIR}
	local top work rc=0
	need_root build
	top=$(cd "$(dirname "$0")/.." && pwd)
	[ -d "$root/usr/lib/modules/$kver/build" ] ||
		die "no linux-headers-$kver in $root (scripts/install-deps.sh --kernel sid)"
	mkdir -p "$out"
	work=$(mktemp -d "$root/var/tmp/sipalg-build.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	(cd "$top" && tar cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod*' Kbuild kmod) | (cd "$work" && tar xf -)
	# the chroot's environment is clean: the test builds' switches (Kbuild)
	# go on make's command line
	in_root make -C "/usr/lib/modules/$kver/build" M="${work#"$root"}" \
		SIPALG_BENCH_SPIN="${SIPALG_BENCH_SPIN:-}" SIPALG_BENCH_NOMON="${SIPALG_BENCH_NOMON:-}" modules \
		>"$out/build.log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		cp "$work/sipalg.ko" "$out/sipalg.ko"
	fi
	return "$rc"
}

case ${1:-} in
setup) cmd_setup ;;
kver) cmd_kver ;;
build) shift; cmd_build "$@" ;;
root) echo "$root" ;;
*) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
