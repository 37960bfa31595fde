#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages as an admin installs them:
#   1. make deb (scripts/deb.sh): sipalg-dkms and sipalgctl, lintian clean;
#   2. a clean bookworm chroot (debootstrap --variant=minbase, the base
#      cached as a tarball in ~/.cache/sipalg/pkg, unpacked afresh each run
#      in .build/pkg/root) with linux-headers-KVER for each kernel tested;
#   3. in it, `apt-get install ./sipalg-dkms_*.deb ./sipalgctl_*.deb`: DKMS
#      builds and installs sipalg.ko for each kernel's headers; the tool,
#      config, unit, man page and completion are where they belong;
#   4. per kernel, a guest booted on it (scripts/vm/run.sh, under the
#      shared lock): `modprobe -d CHROOT sipalg` loads the module DKMS
#      installed in the chroot (tests/pkg/guest.sh), then the UDP call tests
#      (tests/e2e/t-21, a SIPp call with RTP) run through it.
# Prints PASS/FAIL/SKIP lines and "N passed, M failed, K skipped".
#
# Needs root, debootstrap, the Debian mirror (SIPALG_DEB_MIRROR, default
# http://deb.debian.org/debian) and the kernels of scripts/e2e.sh
# (SIPALG_KERNELS="6.1.0-57-amd64 ..." picks them). SIPALG_PKG_NOGUEST=1
# stops after step 3.
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
T_LOGDIR=${T_LOGDIR:-$top/.build/pkg/logs}
rm -rf "$T_LOGDIR"
mkdir -p "$T_LOGDIR"
export T_LOGDIR
. "$top/tests/lib.sh"

cache=${SIPALG_CACHE:-$HOME/.cache/sipalg}/pkg
work=$top/.build/pkg
root=$work/root
mirror=${SIPALG_DEB_MIRROR:-http://deb.debian.org/debian}
base=$cache/bookworm-minbase.tar.gz
lock=${SIPALG_HEAVY_LOCK:-/tmp/sipalg-heavy.lock}
mkdir -p "$cache/apt-archives/partial" "$work"

# the newest kernel of a series with an image and a build tree (as e2e.sh)
pick_kernel() {
	local k
	for k in $(ls -1 /usr/lib/modules 2>/dev/null | sort -V); do
		case $k in "$1".*) ;; *) continue ;; esac
		[ -r "/boot/vmlinuz-$k" ] && [ -d "/usr/lib/modules/$k/build" ] && echo "$k"
	done | tail -n 1
}
if [ -n "${SIPALG_KERNELS:-}" ]; then
	read -r -a kernels <<<"$SIPALG_KERNELS"
else
	kernels=()
	for s in 6.1 6.12; do
		k=$(pick_kernel "$s")
		[ -n "$k" ] && kernels+=("$k")
	done
fi

mounted=()
umount_all() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[i]}" 2>/dev/null || true
	done
	mounted=()
}
trap umount_all EXIT
bind() { # SRC DST
	mkdir -p "$2"
	mount --bind "$1" "$2" && mounted+=("$2")
}
inroot() {
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C DEBIAN_FRONTEND=noninteractive "$@"
}
APT=(apt-get -y -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-unsafe-io)

make_deb() {
	"$top/scripts/deb.sh"
	ls "$top"/.build/deb/sipalg-dkms_*_all.deb "$top"/.build/deb/sipalgctl_*_amd64.deb
}

chroot_up() {
	local k
	if [ ! -s "$base" ]; then
		echo "debootstrap --variant=minbase bookworm (cached in $base)"
		rm -rf "$cache/bootstrap"
		debootstrap --variant=minbase bookworm "$cache/bootstrap" "$mirror" || return 1
		tar -C "$cache/bootstrap" -czf "$base.tmp" . && mv "$base.tmp" "$base" || return 1
		rm -rf "$cache/bootstrap"
	fi
	umount_all
	rm -rf "$root"
	mkdir -p "$root"
	tar -C "$root" -xzf "$base"
	cat >"$root/etc/apt/sources.list" <<EOS
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${SIPALG_DEB_SECURITY:-http://deb.debian.org/debian-security} bookworm-security main
EOS
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	bind /proc "$root/proc"
	bind /sys "$root/sys"
	bind /dev "$root/dev"
	# downloads kept between runs; the chroot itself is new each time
	bind "$cache/apt-archives" "$root/var/cache/apt/archives"
	inroot "${APT[@]}" update || return 1
	for k in "${kernels[@]}"; do
		inroot "${APT[@]}" install --no-install-recommends "linux-headers-$k" || return 1
	done
}

apt_install_debs() {
	mkdir -p "$root/root/debs"
	cp "$top"/.build/deb/sipalg-dkms_*_all.deb "$top"/.build/deb/sipalgctl_*_amd64.deb "$root/root/debs/"
	(cd "$root/root/debs" && ls)
	# exactly what the README tells an admin to type
	chroot "$root" sh -c 'cd /root/debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=600 ./sipalg-dkms_*.deb ./sipalgctl_*.deb' \
		>"$work/apt-install.log" 2>&1
	local rc=$?
	cat "$work/apt-install.log"
	[ "$rc" = 0 ]
}

# KVER: DKMS built and installed sipalg.ko for it, with the helper alias
dkms_built() {
	local k=$1 ko ver
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
	inroot dkms status "sipalg/$ver" -k "$k"
	[[ $(inroot dkms status "sipalg/$ver" -k "$k") == *"sipalg/$ver, $k, x86_64: installed"* ]] || return 1
	ko=$(ls "$root/lib/modules/$k/updates/dkms/"sipalg.ko* 2>/dev/null | head -n 1)
	[ -n "$ko" ] || { echo "no sipalg.ko under /lib/modules/$k/updates/dkms"; return 1; }
	echo "$ko"
	[[ $(modinfo -F vermagic "$ko") == "$k "* ]] || { modinfo "$ko"; return 1; }
	modinfo -F alias "$ko" | grep -qx "nfct-helper-sipalg" || { modinfo -F alias "$ko"; return 1; }
	# depmod recorded it: modprobe finds it by name and by the alias an
	# nftables "ct helper" object of type "sipalg" asks for
	[ "$(modprobe -d "$root" -S "$k" -R nfct-helper-sipalg)" = sipalg ] || return 1
	modprobe -d "$root" -S "$k" --show-depends sipalg | grep -q "updates/dkms/sipalg.ko" || return 1
	# a plain copy for the e2e tests that reload the module (insmod)
	mkdir -p "$work/ko/$k"
	case $ko in
	*.xz) xz -dc "$ko" >"$work/ko/$k/sipalg.ko" ;;
	*) cp "$ko" "$work/ko/$k/sipalg.ko" ;;
	esac
}

ctl_installed() {
	inroot sipalgctl -V
	[ "$(inroot sipalgctl -V)" = "sipalgctl $(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")" ] || return 1
	[ -r "$root/usr/share/man/man8/sipalgctl.8.gz" ] || return 1
	[ -r "$root/usr/share/bash-completion/completions/sipalgctl" ] || return 1
	[ -r "$root/usr/share/doc/sipalgctl/examples/sipalg.nft" ] || return 1
	# the example config is a conffile and checks clean
	grep -qx /etc/sipalg/policies.conf "$root/var/lib/dpkg/info/sipalgctl.conffiles" || return 1
	inroot sipalgctl policy restore --check /etc/sipalg/policies.conf || return 1
	# the unit, enabled at boot (not started: no systemd in a chroot)
	grep -qx "ExecStart=/usr/sbin/sipalgctl policy restore /etc/sipalg/policies.conf" "$root/lib/systemd/system/sipalg.service" || return 1
	[ -L "$root/etc/systemd/system/sysinit.target.wants/sipalg.service" ] || { ls -l "$root/etc/systemd/system/"*; return 1; }
}

# remove and purge: nothing of the packages is left behind
purge_clean() {
	inroot "${APT[@]}" purge sipalgctl sipalg-dkms || return 1
	local left
	left=$(cd "$root" && ls -d usr/src/sipalg-* etc/sipalg lib/systemd/system/sipalg.service \
		usr/sbin/sipalgctl etc/systemd/system/sysinit.target.wants/sipalg.service \
		lib/modules/*/updates/dkms/sipalg.ko* var/lib/dkms/sipalg 2>/dev/null)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

guest() {
	local k=$1 rc
	env SIPALG_KO="$work/ko/$k/sipalg.ko" SIPALG_PKG_ROOT="$root" \
		SIPALG_VM_TIMEOUT="${SIPALG_VM_TIMEOUT:-900}" \
		"$top/scripts/vm/run.sh" -r "$work/vm-$k" "$k" "$here/guest.sh" \
		>"$work/guest-$k.log" 2>&1
	rc=$?
	cat "$work/guest-$k.log"
	# every check in the guest passed, and there were some
	grep -q "^PASS pkg-modprobe-installed-module" "$work/guest-$k.log" || return 1
	grep -q "^PASS udp-sipp-call" "$work/guest-$k.log" || return 1
	! grep -q "^FAIL " "$work/guest-$k.log" || return 1
	[ "$rc" = 0 ]
}

t0=$(date +%s)
t_run pkg-make-deb-lintian-clean make_deb
if [ ${#kernels[@]} = 0 ]; then
	echo "FAIL pkg-kernels: no 6.1 or 6.12 kernel with headers installed (scripts/install-deps.sh)"
	T_FAILED=$((T_FAILED + 1))
elif [ "$T_FAILED" = 0 ]; then
	t_run pkg-bookworm-chroot-with-headers chroot_up
	[ "$T_FAILED" = 0 ] && t_run pkg-apt-install-debs apt_install_debs
	if [ "$T_FAILED" = 0 ]; then
		for k in "${kernels[@]}"; do
			t_run "pkg-dkms-built-$k" dkms_built "$k"
		done
		t_run pkg-sipalgctl-installed ctl_installed
		if [ "${SIPALG_PKG_NOGUEST:-0}" = 1 ]; then
			t_skip pkg-guest "SIPALG_PKG_NOGUEST=1"
		else
			# the guests are the heavy part: one hold of the shared lock
			# for all of them
			exec 8>>"$lock"
			echo "pkg: waiting for $lock"
			flock 8
			for k in "${kernels[@]}"; do
				if [ -r "$work/ko/$k/sipalg.ko" ]; then
					t_run "pkg-guest-modprobe-and-call-$k" guest "$k"
				else
					t_skip "pkg-guest-modprobe-and-call-$k" "DKMS built nothing for $k"
				fi
			done
			flock -u 8
		fi
		t_run pkg-purge-leaves-nothing purge_clean
	fi
fi
umount_all
echo "pkg: $(( $(date +%s) - t0 )) s"
t_summary
