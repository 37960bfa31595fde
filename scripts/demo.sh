#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Demo: install what is missing, build sipalg.ko, boot a Debian kernel under
# QEMU, load sipalg in it, and push one SIPp call with SDP from a client
# through a router doing `masquerade fully-random` to a server. Prints the key
# lines of every SIP message as the client sent it and as the server got it
# (and back), marking what the router changed.
#
#   sudo scripts/demo.sh            (or: sudo make demo)
#
# SIPALG_KVER picks the kernel (default: the newest installed 6.12);
# SIPALG_KO_DIR=DIR uses DIR/KVER/sipalg.ko instead of building one.
# Exit status 0 when the call completed. Captures and logs:
# .build/vm-results/demo-KVER/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

# ---- inside the guest -------------------------------------------------------
if [ "${1:-}" = --guest ]; then
	# shellcheck source=tests/e2e/lib.sh
	. "$top/tests/e2e/lib.sh"
	# shellcheck source=tests/e2e/topo.sh
	. "$top/tests/e2e/topo.sh"
	trap topo_down EXIT

	deps=$(modinfo -F depends "$SIPALG_KO" | tr ',' ' ')
	# shellcheck disable=SC2086
	[ -z "$deps" ] || modprobe -a $deps
	insmod "$SIPALG_KO"
	echo "loaded sipalg: $(dmesg | grep -E 'sipalg: ' | grep -v -E 'taints|verification' | tail -n 1 | sed 's/^\[[^]]*\] //')"
	echo "taint flags: $(cat /sys/module/sipalg/taint) (O: out-of-tree, E: unsigned)"

	topo_up --helper nft --nat fully-random
	echo
	echo "network (see tests/e2e/topo.sh):"
	echo "  client $CLI4 --- [$RTR_LAN4 router $RTR_WAN4] --- server $SRV4"
	echo "  router rules:"
	rtr nft list table inet sipalg_topo | sed 's/^/    /'
	echo
	topo_cap_start call
	# shellcheck disable=SC2119 # default UAS
	topo_sipp_uas
	rc=0
	topo_sipp_uac || rc=$?
	topo_cap_stop
	echo "router conntrack entry of the signalling flow:"
	topo_ct -p udp --orig-port-dst 5060 | sed 's/^/  /'
	echo
	sip_msgs "$CAP_CLI" >"$E2E_OUT/call-client.txt"
	sip_msgs "$CAP_SRV" >"$E2E_OUT/call-server.txt"
	awk -v cli="$CLI4" -f "$top/tests/e2e/sipdiff.awk" \
		"$E2E_OUT/call-client.txt" "$E2E_OUT/call-server.txt"

	via=$(sip_field "$CAP_SRV" '^INVITE ' Via | head -n 1)
	nat=$(sip_src "$CAP_SRV" '^INVITE ')
	echo
	echo "The router's NAT sent the INVITE from $nat (the client used $CLI4:5060)."
	case $via in
	*"$nat"*) echo "Via on the server side: $via -> rewritten to the NAT's address and port." ;;
	*"$RTR_WAN4"*) echo "Via on the server side: $via -> rewritten to the router's address, not the NAT port $nat." ;;
	*) echo "Via on the server side: $via -> still the client's private address: sipalg did not rewrite it." ;;
	esac
	echo
	if [ "$rc" = 0 ]; then
		echo "call completed (SIPp UAC exit 0)"
	else
		echo "call FAILED (SIPp UAC exit $rc)"
	fi
	topo_down
	rmmod sipalg
	exit "$rc"
fi

# ---- on the host ------------------------------------------------------------
stage() {
	echo "== demo: $* ($(( $(date +%s) - t0 )) s)"
}
t0=$(date +%s)
if [ "$(id -u)" = 0 ]; then
	stage "installing what is missing (scripts/install-deps.sh --minimal)"
	"$top/scripts/install-deps.sh" --minimal
else
	echo "demo: not root: not installing packages (run it with sudo on a fresh machine)" >&2
fi

# shellcheck source=scripts/vm/pick-kernel.sh
. "$top/scripts/vm/pick-kernel.sh"
kver=${SIPALG_KVER:-$(vm_pick_kernel 6.12)}
[ -n "$kver" ] || { echo "demo: no 6.12 kernel with headers installed; set SIPALG_KVER" >&2; exit 1; }

# engineers sharing one tree: while an e2e run holds the lock, build privately
buildroot=$top/.build
mkdir -p "$buildroot"
exec 9>>"$top/.build/vm.lock"
if ! flock -n 9; then
	buildroot=$top/.build/run-$$
	trap 'rm -rf "$buildroot"' EXIT
fi
if [ -n "${SIPALG_KO_DIR:-}" ]; then
	ko=$(cd "$SIPALG_KO_DIR" && pwd)/$kver/sipalg.ko
	stage "using $ko"
else
	stage "building sipalg.ko for $kver"
	ko=$("$top/scripts/build-kmod.sh" "$kver" "$buildroot/$kver")
fi
res=$top/.build/vm-results/demo-$kver
rm -rf "$res"
stage "booting $kver under QEMU (software emulation) and placing the call"
rc=0
SIPALG_KO=$ko "$top/scripts/vm/run.sh" -r "$res" "$kver" "$top/scripts/demo.sh" --guest || rc=$?
stage "done, exit $rc; captures and logs in $res/demo/"
exit "$rc"
