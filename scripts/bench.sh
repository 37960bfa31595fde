#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The router benchmark (make bench): build sipalg.ko and the load generator,
# boot one guest kernel under QEMU (scripts/vm/run.sh) and run
# tests/bench-e2e/bench-guest.sh in it: per-message cost with no helper, the
# kernel's own SIP helper and sipalg, then registrations and concurrent calls
# at scale. Prints Markdown tables; see BENCHMARKS.md for what they mean.
#
#   scripts/bench.sh
#
# SIPALG_KVER      kernel to boot (default: the newest installed 6.12 kernel)
# SIPALG_VM_TIMEOUT seconds the guest may run (default here 3000)
# SIPALG_BENCH_MSGS       messages per per-message run (10000)
# SIPALG_BENCH_RUNS       repeats of each per-message configuration (5)
# SIPALG_BENCH_REG_STEPS  phones registering with SIPp (100 1000)
# SIPALG_BENCH_CALL_STEPS concurrent calls with SIPp (10 100)
# SIPALG_BENCH_REG_RATE / SIPALG_BENCH_CALL_RATE   SIPp rates (200 registrations/s, 50 calls/s)
# SIPALG_BENCH_LG_REG_STEPS / SIPALG_BENCH_LG_CALL_STEPS  the same with
#                  siploadgen's phones and registrar (100000 / 10000), for
#                  SIPALG_BENCH_LG_HELPERS ("none sip sipalg"); its window of
#                  outstanding requests SIPALG_BENCH_LG_WINDOW (200), start
#                  rate SIPALG_BENCH_LG_RATE (0: as the window allows), time
#                  limit per step SIPALG_BENCH_LG_TIMEOUT (1800 s)
# SIPALG_BENCH_PARTS      "permsg scale" (either alone to run only that part)
# SIPALG_BENCH_PROTOS     protocols of the per-message part ("udp tcp")
# SIPALG_BENCH_TCP_SEG    how the TCP sender segments its stream: "msg" (one
#                  message per segment, the same packets every run; default)
#                  or "stream" (back to back, as the congestion window packs them)
# SIPALG_BENCH_WARMUP     0 skips the unrecorded per-message warm-up runs (1)
# SIPALG_BENCH_CAPTURE    1: tcpdump on the router's lan0 and wan0 during each
#                  per-message TCP run (cap-ROUTER-tcp-RUN-{lan,wan}.pcap)
# SIPALG_BENCH_TRACE      1: the kernel's packet drops (tracepoint skb:kfree_skb)
#                  and conntrack's counters over each per-message run
# SIPALG_BENCH_GRAPH      FUNC: function_graph trace of FUNC (sipalg_help_tcp)
#                  in sipalg's runs, SIPALG_BENCH_GRAPH_DEPTH deep (3):
#                  graph-*.txt, summed by tests/bench-e2e/graph-sum.py
# SIPALG_BENCH_NETEM_WAN / SIPALG_BENCH_NETEM_CLI  netem arguments ("loss 1%")
#                  for the per-message TCP runs, on the router's WAN side /
#                  the client's, so that the streams see losses and retransmit
# SIPALG_BENCH_SINK_IDLE  ms the sink waits for more once something arrived (2000)
# SIPALG_BENCH_HELPERS / SIPALG_BENCH_SCALE_HELPERS / SIPALG_BENCH_CALL_HELPERS
#                  routers compared per message ("none sip sipalg"), for
#                  registrations ("sip sipalg") and for calls ("none sip sipalg")
# SIPALG_BENCH_SEND_LIMIT  seconds before a stalled sender gives up (30)
# SIPALG_BENCH_CT_MAX / SIPALG_BENCH_EXPECT_MAX  table sizes set in the guest
#                  (262144 / 262144; the guest's defaults are recorded), with
#                  SIPALG_BENCH_CT_BUCKETS (65536) and SIPALG_BENCH_EXPECT_HASH
#                  (nf_conntrack's expect_hashsize at load, 65536);
#                  SIPALG_BENCH_UDP_MEM the phones' host's net.ipv4.udp_mem
#                  ("262144 524288 1048576" pages)
# SIPALG_BENCH_RESULTS    results directory (.build/bench/results; emptied first)
# Results: bench/summary.md, bench/*.csv, sipp logs, sipalg's counters after
# each per-message sipalg run (stats-*.txt, when sipalgctl builds),
# console.log, dmesg.txt. SIPALG_BENCH_DOC=1 also puts the tables into
# BENCHMARKS.md between its "bench:begin" and "bench:end" markers.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# shellcheck source=scripts/vm/pick-kernel.sh
. "$top/scripts/vm/pick-kernel.sh"
kver=${SIPALG_KVER:-$(vm_pick_kernel 6.12)}
[ -n "$kver" ] || { echo "bench: no 6.12 kernel with headers installed (set SIPALG_KVER)" >&2; exit 2; }
out=$top/.build/bench
res=${SIPALG_BENCH_RESULTS:-$out/results}
mkdir -p "$out"

echo "== bench: building sipalg.ko for $kver"
ko=$("$top/scripts/build-kmod.sh" "$kver" "$out/$kver")
echo "== bench: building the load generator"
cc -O2 -Wall -Wextra -Werror -o "$out/siploadgen" "$top/tests/bench-e2e/siploadgen.c"
# sipalgctl, for the module's counters (optional: built from a copy, so
# the tree's userspace/ is left alone)
ctl=$(vm_build_ctl "$top" "$out/ctl")
[ -n "$ctl" ] ||
	echo "== bench: sipalgctl did not build (no counters in the results; $out/ctl/build.log)"

rm -rf "$res"
mkdir -p "$res"
echo "== bench: booting $kver (TCG guest), running tests/bench-e2e/bench-guest.sh"
st=$(date +%s)
# a TCG guest on a loaded host sometimes panics at boot ("IO-APIC + timer
# doesn't work"): that is no result, boot again (at most twice)
for try in 1 2 3; do
	rc=0
	SIPALG_KO=$ko SIPALG_BENCH_GEN=$out/siploadgen SIPALG_BENCH_CTL=$ctl SIPALG_VM_TIMEOUT=${SIPALG_VM_TIMEOUT:-3000} \
		"$top/scripts/vm/run.sh" -r "$res" "$kver" "$top/tests/bench-e2e/bench-guest.sh" || rc=$?
	if [ "$rc" != 125 ] || ! grep -q "IO-APIC + timer" "$res/console.log" 2>/dev/null; then
		break
	fi
	echo "== bench: the guest panicked at boot (try $try), booting again"
done
echo "== bench: guest finished in $(( $(date +%s) - st )) s, status $rc (logs: $res)"

sum=$res/bench/summary.md
if [ ! -s "$sum" ]; then
	echo "bench: no summary written ($sum)" >&2
	exit 1
fi
if [ "${SIPALG_BENCH_DOC:-0}" = 1 ] && [ -f "$top/BENCHMARKS.md" ]; then
	{
		echo "Run: \`make bench\` on $(date -u +%Y-%m-%d), guest kernel $kver," \
			"host $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
		echo
		cat "$sum"
	} >"$out/doc-tables.md"
	python3 - "$top/BENCHMARKS.md" "$out/doc-tables.md" <<-'EOF'
	import re, sys
	doc, tab = sys.argv[1], open(sys.argv[2]).read()
	s = open(doc).read()
	s = re.sub(r'(<!-- bench:begin -->\n).*?(<!-- bench:end -->)',
	           lambda m: m.group(1) + tab + m.group(2), s, flags=re.S)
	open(doc, 'w').write(s)
	EOF
	echo "== bench: tables written into BENCHMARKS.md"
fi
exit "$rc"
