#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what sipalg needs to build and test, from Debian bookworm's apt.
# Idempotent: packages already present are skipped. Needs root.
#
#   scripts/install-deps.sh            everything (build, unit tests, VM tests, KUnit)
#   scripts/install-deps.sh --minimal  build + VM demo only (no KUnit sources, no fuzzing)
#   scripts/install-deps.sh --kernel sid
#                                      everything, plus Debian sid's newest kernel
#                                      (Linux 7.x) for the VM tests: a sid build
#                                      chroot under ~/.cache/sipalg/sid-root with
#                                      that kernel's headers, and the kernel itself
#                                      in /boot and /usr/lib/modules for the guest
#                                      (scripts/sid.sh; no sid package goes into
#                                      the host's own dpkg)
set -euo pipefail

minimal=0 sid=0
while [ $# -gt 0 ]; do
	case $1 in
	--minimal) minimal=1 ;;
	--kernel)
		[ "${2:-}" = sid ] || { echo "install-deps: --kernel takes 'sid'" >&2; exit 2; }
		sid=1
		shift ;;
	--kernel=sid) sid=1 ;;
	*) echo "usage: install-deps.sh [--minimal] [--kernel sid]" >&2; exit 2 ;;
	esac
	shift
done

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: must run as root (apt-get install)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Debian's initramfs generator takes ~140 s per kernel; our guests use their own.
export INITRD=No
APT_OPTS=(-y -q --no-install-recommends -o Dpkg::Options::=--force-unsafe-io
	  -o DPkg::Lock::Timeout=600)

# The 6.12 kernel that bookworm ships moves with security updates: pick the
# newest signed image whose matching headers exist.
pick_612() {
	apt-cache search --names-only '^linux-image-6\.12\.[0-9.]+\+deb12-amd64$' |
		awk '{print $1}' | sed 's/^linux-image-//' | sort -V | tail -n 1
}

need_update=1
if [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -360 2>/dev/null | head -n 1)" ]; then
	need_update=0
fi
[ "$need_update" = 1 ] && apt-get update -q -o DPkg::Lock::Timeout=600

k612=$(pick_612)
if [ -z "$k612" ]; then
	echo "install-deps: no linux-image-6.12.*+deb12-amd64 in apt; run apt-get update" >&2
	exit 1
fi

pkgs=(build-essential kmod cpio xz-utils iproute2 procps nftables iptables conntrack
      sip-tester tcpdump busybox-static qemu-system-x86 libmnl-dev
      libnetfilter-conntrack-dev pkg-config
      linux-image-amd64 linux-headers-amd64
      "linux-image-$k612" "linux-headers-$k612")
# debootstrap (bookworm's own) builds the sid chroot
[ "$sid" = 1 ] && pkgs+=(debootstrap)
if [ "$minimal" = 0 ]; then
	pkgs+=(clang libclang-rt-14-dev llvm libosip2-dev linux-source-6.1 linux-source-6.12 bc flex bison
	       libelf-dev libssl-dev python3 valgrind
	       conntrackd keepalived)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	apt-get install "${APT_OPTS[@]}" "${missing[@]}"
else
	echo "install-deps: everything already installed"
fi

if [ "$sid" = 1 ]; then
	"$(dirname "$0")/sid.sh" setup >/dev/null
fi
