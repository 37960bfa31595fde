#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench-helper: the time each SIP helper spends in its own help() per
# message, sipalg beside the kernel's nf_conntrack_sip + nf_nat_sip, in one
# QEMU guest and one run (tests/bench-e2e/helper-guest.sh; see BENCHMARKS.md).
# Builds the production sipalg.ko and the instrument-check build
# (SIPALG_BENCH_SPIN=1: module parameter bench_spin_ns, a busy wait in each
# help() call), the monitor's baseline build (SIPALG_BENCH_NOMON=1: the
# monitor's event hooks compiled out, listener check included), sipalgctl
# (for the router with a monitor listening) and the load generator.
#
#   scripts/bench-helper.sh [--build-only]
#
# SIPALG_KVER       kernel to boot (default: the newest installed 6.12 kernel)
# SIPALG_HB_MSGS / SIPALG_HB_ROUNDS / SIPALG_HB_PROTOS / SIPALG_HB_SPIN_NS /
# SIPALG_HB_ROUTERS  see tests/bench-e2e/helper-guest.sh
# SIPALG_VM_TIMEOUT  seconds the guest may run (default here 1800)
# SIPALG_HB_ICOUNT   QEMU's -icount shift (0: the guest's clock advances 1 ns
#                    per instruction executed, so durations count instructions
#                    and do not depend on the host's load; "off": real time)
# Results in .build/bench-helper/results (SIPALG_HB_RESULTS):
# bench-helper/summary.md, helper.csv, the traces, console.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# shellcheck source=scripts/vm/pick-kernel.sh
. "$top/scripts/vm/pick-kernel.sh"
kver=${SIPALG_KVER:-$(vm_pick_kernel 6.12)}
[ -n "$kver" ] || { echo "bench-helper: no 6.12 kernel with headers installed (set SIPALG_KVER)" >&2; exit 2; }
out=$top/.build/bench-helper
res=${SIPALG_HB_RESULTS:-$out/results}
mkdir -p "$out"

echo "== bench-helper: building sipalg.ko, the spin and the nomon builds for $kver"
ko=$(SIPALG_BENCH_SPIN='' SIPALG_BENCH_NOMON='' "$top/scripts/build-kmod.sh" "$kver" "$out/$kver")
spin=$(SIPALG_BENCH_SPIN=1 SIPALG_BENCH_NOMON='' "$top/scripts/build-kmod.sh" "$kver" "$out/$kver-spin")
nomon=$(SIPALG_BENCH_SPIN='' SIPALG_BENCH_NOMON=1 "$top/scripts/build-kmod.sh" "$kver" "$out/$kver-nomon")
# the production module must not carry the spin
if modinfo -F parm "$ko" | grep -q bench_spin_ns; then
	echo "bench-helper: $ko has bench_spin_ns" >&2
	exit 1
fi
modinfo -F parm "$spin" | grep -q bench_spin_ns || {
	echo "bench-helper: $spin has no bench_spin_ns" >&2
	exit 1
}
# only the nomon build lacks the monitor's events (modinfo tag sipalg_bench)
for m in "$ko" "$spin"; do
	if [ -n "$(modinfo -F sipalg_bench "$m")" ]; then
		echo "bench-helper: $m is tagged sipalg_bench=$(modinfo -F sipalg_bench "$m")" >&2
		exit 1
	fi
done
[ "$(modinfo -F sipalg_bench "$nomon")" = nomon ] || {
	echo "bench-helper: $nomon is not tagged sipalg_bench=nomon" >&2
	exit 1
}
if modinfo -F parm "$nomon" | grep -q bench_spin_ns; then
	echo "bench-helper: $nomon has bench_spin_ns" >&2
	exit 1
fi
cc -O2 -Wall -Wextra -Werror -o "$out/siploadgen" "$top/tests/bench-e2e/siploadgen.c"
# sipalgctl for the sipalg-mon router, built from a copy (userspace/ left alone)
ctl=$(vm_build_ctl "$top" "$out/ctl")
[ -n "$ctl" ] ||
	echo "== bench-helper: sipalgctl did not build (no sipalg-mon router; $out/ctl/build.log)"
[ "${1:-}" != --build-only ] || { echo "== bench-helper: built $ko $spin $nomon${ctl:+ $ctl}"; exit 0; }

rm -rf "$res"
mkdir -p "$res"
echo "== bench-helper: booting $kver (TCG guest)"
st=$(date +%s)
for try in 1 2 3; do
	rc=0
	icount=
	[ "${SIPALG_HB_ICOUNT:-0}" = off ] || icount="-icount shift=${SIPALG_HB_ICOUNT:-0}"
	SIPALG_VM_QEMU_ARGS=$icount SIPALG_KO=$ko SIPALG_SPIN_KO=$spin SIPALG_NOMON_KO=$nomon \
		SIPALG_BENCH_CTL=$ctl SIPALG_BENCH_GEN=$out/siploadgen \
		SIPALG_VM_TIMEOUT=${SIPALG_VM_TIMEOUT:-1800} \
		"$top/scripts/vm/run.sh" -r "$res" "$kver" "$top/tests/bench-e2e/helper-guest.sh" || rc=$?
	if [ "$rc" != 125 ] || ! grep -q "IO-APIC + timer" "$res/console.log" 2>/dev/null; then
		break
	fi
	echo "== bench-helper: the guest panicked at boot (try $try), booting again"
done
echo "== bench-helper: guest finished in $(( $(date +%s) - st )) s, status $rc (logs: $res)"
[ -s "$res/bench-helper/summary.md" ] || { echo "bench-helper: no summary written" >&2; exit 1; }
exit "$rc"
