#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The router benchmark, inside the test guest (scripts/bench.sh boots it).
# Uses the e2e topology (tests/e2e/topo.sh: client, router with masquerade
# fully-random, server) and compares three routers: no helper ("none"), the
# kernel's own helper ("sip": nf_conntrack_sip + nf_nat_sip) and sipalg.
#
# 1. Per-message cost: siploadgen (the client) sends SIPALG_BENCH_MSGS messages
#    (REGISTER, INVITE+SDP, 200 OK+SDP in turn) over UDP, then over one TCP
#    connection (one message per segment: SIPALG_BENCH_TCP_SEG), to a sink
#    on the server. Per run: messages per second at the sink, and guest
#    CPU time per message from /proc/stat (all namespaces share one
#    kernel: generator, sink and router together; the generator and sink
#    are the same for every router, so the difference between
#    routers is the helper's cost). SIPALG_BENCH_RUNS repeats, the routers
#    interleaved within each repeat.
# 2. Scale: SIPp registers N phones (SIPALG_BENCH_REG_STEPS), one UDP socket per
#    phone, then holds M concurrent calls with SDP (SIPALG_BENCH_CALL_STEPS), one
#    socket and one media port pair per call. Failed registrations and calls
#    (SIPp's counts), expectations (pinholes) present at the peak,
#    "expectation table full" kernel messages, and slab memory per call.
#    The large steps (SIPALG_BENCH_LG_REG_STEPS 100000 registrations,
#    SIPALG_BENCH_LG_CALL_STEPS 10000 calls; SIPALG_BENCH_LG_HELPERS "none
#    sip sipalg") use siploadgen's phones and registrar instead (SIPp's one
#    socket per call stops short of them): the phones on three client
#    addresses, the registrar on three server addresses (each NAT mapping
#    needs a port of its own per server address), the registrar answering to
#    the top Via's port (so only a Via the router rewrote gets an answer; for
#    "none", which rewrites nothing, to the source port, the same traffic as
#    a baseline). All registrations (or calls) are held while the tables and
#    memory are read.
#
# Needs SIPALG_KO and SIPALG_BENCH_GEN (the siploadgen binary). Results:
# $SIPALG_RESULTS/bench/{permsg.csv,scale.csv,summary.md,...}.
set -euo pipefail
export LC_ALL=C
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../.." && pwd)
res=${SIPALG_RESULTS:-/tmp/sipalg-bench}/bench
mkdir -p "$res"
export E2E_OUT=$res/topo
mkdir -p "$E2E_OUT"
# shellcheck source=tests/e2e/topo.sh
. "$top/tests/e2e/topo.sh"
trap topo_down EXIT

KO=${SIPALG_KO:?SIPALG_KO must name sipalg.ko for $(uname -r)}
GEN=${SIPALG_BENCH_GEN:?SIPALG_BENCH_GEN must name the siploadgen binary}
MSGS=${SIPALG_BENCH_MSGS:-10000}
RUNS=${SIPALG_BENCH_RUNS:-5}
# sipalg-mon: sipalg with `sipalgctl -j monitor` listening on the router
HELPERS=${SIPALG_BENCH_HELPERS:-none sip sipalg sipalg-mon}
PROTOS=${SIPALG_BENCH_PROTOS:-udp tcp}
SCALE_HELPERS=${SIPALG_BENCH_SCALE_HELPERS:-sip sipalg}
CALL_HELPERS=${SIPALG_BENCH_CALL_HELPERS:-none sip sipalg}
REG_STEPS=${SIPALG_BENCH_REG_STEPS:-100 1000}
CALL_STEPS=${SIPALG_BENCH_CALL_STEPS:-10 100}
LG_REG_STEPS=${SIPALG_BENCH_LG_REG_STEPS:-100000}
LG_CALL_STEPS=${SIPALG_BENCH_LG_CALL_STEPS:-10000}
LG_HELPERS=${SIPALG_BENCH_LG_HELPERS:-none sip sipalg}
# the load generator's window of outstanding requests and its start rate
export SIPLOADGEN_WINDOW=${SIPALG_BENCH_LG_WINDOW:-200}
export SIPLOADGEN_RATE=${SIPALG_BENCH_LG_RATE:-0}
REG_RATE=${SIPALG_BENCH_REG_RATE:-200}
CALL_RATE=${SIPALG_BENCH_CALL_RATE:-50}
PARTS=${SIPALG_BENCH_PARTS:-permsg scale}
WARMUP=${SIPALG_BENCH_WARMUP:-1}
# ms the sink waits for more once something arrived (retransmissions after
# losses can take longer: raise it with SIPALG_BENCH_NETEM_*)
SINK_IDLE=${SIPALG_BENCH_SINK_IDLE:-2000}
CAPTURE=${SIPALG_BENCH_CAPTURE:-0}
CTL=${SIPALG_BENCH_CTL:-}
# a sender whose stream the router stalls gives up after this many seconds
export SIPLOADGEN_LIMIT=${SIPALG_BENCH_SEND_LIMIT:-30}
# TCP: one message per segment (msg) or back to back (stream): siploadgen.c
export SIPLOADGEN_SEG=${SIPALG_BENCH_TCP_SEG:-msg}

log() { echo "bench: $(date +%H:%M:%S) $*"; }

# ---- modules and kernel limits ----------------------------------------------
# the expectation hash is sized at load only (expect_hashsize; the default,
# conntrack's buckets / 256, gives chains of thousands at 100,000 pinholes)
modprobe nf_conntrack expect_hashsize="${SIPALG_BENCH_EXPECT_HASH:-65536}" || modprobe nf_conntrack
modprobe -a nf_conntrack nf_nat
deps=$(modinfo -F depends "$KO" | tr ',' ' ')
# shellcheck disable=SC2086
[ -z "$deps" ] || modprobe -a $deps

# The kernel refuses two helpers for the same protocol and port at once
# (whatever their names): load the one a router needs, unload the other.
use_module() {
	case $1 in
	sip)
		[ ! -d /sys/module/sipalg ] || rmmod sipalg
		modprobe -a nf_conntrack_sip nf_nat_sip
		;;
	sipalg | sipalg-mon)
		[ ! -d /sys/module/nf_nat_sip ] || rmmod nf_nat_sip
		[ ! -d /sys/module/nf_conntrack_sip ] || rmmod nf_conntrack_sip
		[ -d /sys/module/sipalg ] || insmod "$KO"
		;;
	esac
}
ulimit -n 65536
mem_kb() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
{
	echo "kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
	echo "default nf_conntrack_max $(sysctl -n net.netfilter.nf_conntrack_max)"
	echo "default nf_conntrack_expect_max $(sysctl -n net.netfilter.nf_conntrack_expect_max)" \
		"(4 x expect_hashsize $(cat /sys/module/nf_conntrack/parameters/expect_hashsize 2>/dev/null || echo ?), set at load)"
	echo "default nf_conntrack_buckets $(sysctl -n net.netfilter.nf_conntrack_buckets)"
	echo "default udp_mem $(sysctl -n net.ipv4.udp_mem | tr "\t" " ")"
} | tee "$res/limits.txt"
# the tables must hold N phones and M calls for either helper: raise them,
# the same for every router (recorded in limits.txt)
sysctl -qw net.netfilter.nf_conntrack_max="${SIPALG_BENCH_CT_MAX:-262144}"
sysctl -qw net.netfilter.nf_conntrack_buckets="${SIPALG_BENCH_CT_BUCKETS:-65536}" || true
sysctl -qw net.netfilter.nf_conntrack_expect_max="${SIPALG_BENCH_EXPECT_MAX:-262144}" || true
sysctl -qw net.core.netdev_max_backlog=10000
# the phones' host, not the router: a UDP socket that has received keeps
# a page of receive memory accounted (its forward allocation), and past
# udp_mem's limit (about 45,000 such sockets in 1 GiB) every later
# datagram is dropped; 100,000 phones on one host need it raised
sysctl -qw net.ipv4.udp_mem="${SIPALG_BENCH_UDP_MEM:-262144 524288 1048576}"
{
	echo "used nf_conntrack_max $(sysctl -n net.netfilter.nf_conntrack_max)"
	echo "used nf_conntrack_buckets $(sysctl -n net.netfilter.nf_conntrack_buckets)"
	echo "used nf_conntrack_expect_max $(sysctl -n net.netfilter.nf_conntrack_expect_max)"
	echo "used udp_mem $(sysctl -n net.ipv4.udp_mem | tr '\t' ' ')"
	echo "used expect_hashsize $(cat /sys/module/nf_conntrack/parameters/expect_hashsize 2>/dev/null || echo ?)"
} | tee -a "$res/limits.txt"

topo_up --helper none --nat fully-random
# the router keeps an idle UDP flow an hour, as the helpers keep a SIP one,
# so that every router holds all N phones' entries until they are read
rtr sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600
rtr sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=3600
echo "router nf_conntrack_udp_timeout(_stream) 3600 s" | tee -a "$res/limits.txt"
# siploadgen's phones on three client addresses towards three server ones
LG_CLI="$CLI4,192.168.1.3,192.168.1.4"
LG_SRV="$SRV4,198.51.100.3,198.51.100.4"
cli ip addr add 192.168.1.3/24 dev eth0
cli ip addr add 192.168.1.4/24 dev eth0
srv ip addr add 198.51.100.3/24 dev eth0
srv ip addr add 198.51.100.4/24 dev eth0

# attach helper TYPE (none, sip, sipalg) on the router, for UDP and TCP 5060,
# and start from empty tables
MON_PID=
set_helper() {
	local t=${1%-mon}
	if [ -n "$MON_PID" ]; then
		kill -INT "$MON_PID" 2>/dev/null || true
		wait "$MON_PID" 2>/dev/null || true
		MON_PID=
	fi
	rtr nft delete table inet bench_helper 2>/dev/null || true
	flush_ct
	use_module "$t"
	if [ "$t" != none ]; then
		rtr nft -f - <<-EOF
		table inet bench_helper {
		  ct helper h-udp { type "$t" protocol udp; l3proto inet; }
		  ct helper h-tcp { type "$t" protocol tcp; l3proto inet; }
		  chain pre {
		    type filter hook prerouting priority filter; policy accept;
		    udp dport 5060 ct helper set "h-udp"
		    tcp dport 5060 ct helper set "h-tcp"
		  }
		}
		EOF
	fi
	flush_ct
	if [ "$1" = sipalg-mon ] && [ -n "$CTL" ]; then
		# every event formatted and thrown away: the listener's whole cost
		(exec ip netns exec "$TOPO_NS_RTR" "$CTL" -j monitor >/dev/null \
			2>>"$res/monitor.err") &
		MON_PID=$!
		sleep 1
	fi
}

flush_ct() {
	rtr conntrack -F >/dev/null 2>&1 || true
	rtr conntrack -F expect >/dev/null 2>&1 || true
	sleep 1
}

# busy and kernel jiffies (all CPUs) from /proc/stat
cpu_now() {
	awk '/^cpu / {print $2+$3+$4+$7+$8, $4+$7+$8}' /proc/stat
}

# ---- 1. per-message cost -----------------------------------------------------
# SIPALG_BENCH_CAPTURE=1: the router's both sides of each TCP run, headers
# and SIP, for finding out why a stream stalled
CAP_PIDS=()
cap_start() {
	local tag=$1 proto=$2 i
	CAP_PIDS=()
	[ "$CAPTURE" = 1 ] && [ "$proto" = tcp ] || return 0
	for i in lan0 wan0; do
		# not through rtr(): $! must be tcpdump itself, for kill -INT
		ip netns exec "$TOPO_NS_RTR" tcpdump -Z root -n -i "$i" -s 0 -B 16384 -U \
			-w "$res/cap-$tag-${i%0}.pcap" tcp port 5060 2>"$res/cap-$tag-${i%0}.log" &
		CAP_PIDS+=($!)
	done
	# tcpdump says "listening on" once the capture runs
	for i in $(seq 1 50); do
		[ "$(cat "$res/cap-$tag-"*.log 2>/dev/null | grep -c listening)" -ge 2 ] && break
		sleep 0.1
	done
}
cap_stop() {
	local p
	[ "${#CAP_PIDS[@]}" -gt 0 ] || return 0
	sleep 0.5
	for p in "${CAP_PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	CAP_PIDS=()
}
# SIPALG_BENCH_TRACE=1: every packet the kernel drops during the run, with
# where and why (tracepoint skb:kfree_skb), and conntrack's own counters
TRACE=${SIPALG_BENCH_TRACE:-0}
TRACEFS=/sys/kernel/tracing
trace_start() {
	[ "$TRACE" = 1 ] || return 0
	[ -d "$TRACEFS/events" ] || mount -t tracefs nodev "$TRACEFS" 2>/dev/null || return 0
	echo 0 >"$TRACEFS/tracing_on"
	echo >"$TRACEFS/trace"
	echo 8192 >"$TRACEFS/buffer_size_kb"
	echo 1 >"$TRACEFS/events/skb/kfree_skb/enable"
	echo 1 >"$TRACEFS/tracing_on"
	rtr conntrack -S >"$res/ctstat-$1-before.txt" 2>&1 || true
	# and why conntrack finds a TCP packet invalid, in the kernel log
	modprobe nf_log_syslog 2>/dev/null || true
	sysctl -qw net.netfilter.nf_log_all_netns=1 2>/dev/null || true
	rtr sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4 2>/dev/null || true
	rtr sysctl -qw net.netfilter.nf_conntrack_log_invalid=6 2>/dev/null || true
}
trace_stop() {
	[ "$TRACE" = 1 ] && [ -d "$TRACEFS/events" ] || return 0
	echo 0 >"$TRACEFS/tracing_on"
	echo 0 >"$TRACEFS/events/skb/kfree_skb/enable"
	cp "$TRACEFS/trace" "$res/trace-$1.txt"
	rtr conntrack -S >"$res/ctstat-$1-after.txt" 2>&1 || true
	rtr nstat -a >"$res/nstat-$1.txt" 2>&1 || true
}
# SIPALG_BENCH_GRAPH=FUNC: the kernel's function_graph tracer on FUNC (e.g.
# sipalg_help_tcp) and what it calls, SIPALG_BENCH_GRAPH_DEPTH levels deep
# (3), during each run of the helper that has FUNC: graph-TAG.txt holds the
# trace, for tests/bench-e2e/graph-sum.py to sum up per function.
GRAPH=${SIPALG_BENCH_GRAPH:-}
graph_start() {
	[ -n "$GRAPH" ] && [ -d "$TRACEFS" ] || return 0
	[ -f "$TRACEFS/tracing_on" ] || mount -t tracefs nodev "$TRACEFS" 2>/dev/null || return 0
	echo 0 >"$TRACEFS/tracing_on"
	echo nop >"$TRACEFS/current_tracer"
	echo "$GRAPH" >"$TRACEFS/set_graph_function" 2>/dev/null || return 0
	echo "${SIPALG_BENCH_GRAPH_DEPTH:-3}" >"$TRACEFS/max_graph_depth"
	echo 65536 >"$TRACEFS/buffer_size_kb"
	echo function_graph >"$TRACEFS/current_tracer"
	echo >"$TRACEFS/trace"
	echo 1 >"$TRACEFS/tracing_on"
}
graph_stop() {
	[ -n "$GRAPH" ] && [ -f "$TRACEFS/current_tracer" ] || return 0
	echo 0 >"$TRACEFS/tracing_on"
	grep -q function_graph "$TRACEFS/current_tracer" || return 0
	cp "$TRACEFS/trace" "$res/graph-$1.txt"
	echo nop >"$TRACEFS/current_tracer"
	echo >"$TRACEFS/set_graph_function"
}
# SIPALG_BENCH_NETEM_WAN / SIPALG_BENCH_NETEM_CLI: netem arguments ("loss
# 1%") for the TCP runs, on the router's WAN side (after the router) and on
# the client (before it), to make the streams retransmit
netem_start() {
	[ "$1" = tcp ] || return 0
	if [ -n "${SIPALG_BENCH_NETEM_WAN:-}" ]; then
		# shellcheck disable=SC2086
		rtr tc qdisc replace dev wan0 root netem $SIPALG_BENCH_NETEM_WAN
	fi
	if [ -n "${SIPALG_BENCH_NETEM_CLI:-}" ]; then
		# shellcheck disable=SC2086
		cli tc qdisc replace dev eth0 root netem $SIPALG_BENCH_NETEM_CLI
	fi
}
netem_stop() {
	rtr tc qdisc del dev wan0 root 2>/dev/null || true
	cli tc qdisc del dev eth0 root 2>/dev/null || true
}
# sipalg's counters over one run (sipalgctl, when bench.sh could build it)
ctl_reset() {
	[[ $1 == sipalg* ]] && [ -n "$CTL" ] || return 0
	rtr "$CTL" stats reset >/dev/null 2>&1 || true
}
ctl_stats() {
	[[ $1 == sipalg* ]] && [ -n "$CTL" ] || return 0
	rtr "$CTL" stats >"$res/stats-$2.txt" 2>&1 || true
}

permsg_one() {
	local h=$1 proto=$2 run=$3 sport=5060 out spid b0 k0 b1 k1 sent recv secs rate garbled
	# TCP from an ephemeral port: a fixed one can still be held by the last run
	[ "$proto" = tcp ] && sport=0
	set_helper "$h"
	out=$res/sink-$h-$proto-$run.txt
	ip netns exec "$TOPO_NS_SRV" "$GEN" sink "$proto" "$SRV4" 5060 "$MSGS" "$SINK_IDLE" \
		>"$out" 2>&1 &
	spid=$!
	for _ in $(seq 1 100); do
		grep -q listening "$out" 2>/dev/null && break
		sleep 0.1
	done
	cap_start "$h-$proto-$run" "$proto"
	ctl_reset "$h"
	trace_start "$h-$proto-$run"
	netem_start "$proto"
	[ "$h" = sipalg ] && graph_start
	read -r b0 k0 < <(cpu_now)
	cli timeout -k 5 $((SIPLOADGEN_LIMIT + 30)) "$GEN" send "$proto" "$CLI4" "$sport" "$SRV4" 5060 "$MSGS" \
		>"$res/send-$h-$proto-$run.txt" 2>&1 || echo "send exit $?" >>"$res/send-$h-$proto-$run.txt"
	wait "$spid" || true
	read -r b1 k1 < <(cpu_now)
	[ "$h" = sipalg ] && graph_stop "$h-$proto-$run"
	netem_stop
	trace_stop "$h-$proto-$run"
	cap_stop
	ctl_stats "$h" "$h-$proto-$run"
	sent=$(awk '/^send / {print $4}' "$res/send-$h-$proto-$run.txt")
	recv=$(awk '/^sink .* received/ {print $4}' "$out")
	secs=$(awk '/received/ {print $8}' "$out")
	rate=$(awk '/received/ {print $10}' "$out")
	garbled=$(awk '/^sink .* garbled [0-9]/ {print $4}' "$out")
	echo "$h,$proto,$run,${sent:-0},${recv:-0},${secs:-0},${rate:-0},$((b1 - b0)),$((k1 - k0)),${garbled:-0}" >>"$res/permsg.csv"
	log "permsg $h $proto run $run: sent ${sent:-?} received ${recv:-?} in ${secs:-?} s," \
		"$((b1 - b0)) busy / $((k1 - k0)) kernel jiffies" \
		"$(grep -h -o -E 'reset|garbled [0-9]+|send exit [0-9]+|send: .*' "$out" "$res/send-$h-$proto-$run.txt" | tr '\n' ' ')"
}

permsg() {
	local r p h
	echo "helper,proto,run,sent,received,seconds,msgs_per_s,busy_jiffies,kernel_jiffies,garbled" >"$res/permsg.csv"
	# one warm-up run each, not recorded
	if [ "$WARMUP" = 1 ]; then
		for p in $PROTOS; do
			for h in $HELPERS; do
				MSGS=$((MSGS / 10)) permsg_one "$h" "$p" warmup >/dev/null
			done
		done
	fi
	echo "helper,proto,run,sent,received,seconds,msgs_per_s,busy_jiffies,kernel_jiffies,garbled" >"$res/permsg.csv"
	for r in $(seq 1 "$RUNS"); do
		for p in $PROTOS; do
			for h in $HELPERS; do
				permsg_one "$h" "$p" "$r"
			done
		done
	done
}

# ---- 2. scale ----------------------------------------------------------------
# the slab bytes of the conntrack and expectation caches, and all slab (kB),
# after giving every cache's per-CPU slabs back (SLUB counts those as full)
slab_shrink() {
	local f
	for f in /sys/kernel/slab/*/shrink; do
		echo 1 >"$f" 2>/dev/null || true
	done
}
slab_ct() {
	slab_shrink
	awk '$1 ~ /^nf_conntrack/ {s += $2 * $4} END {print s + 0}' /proc/slabinfo
}
slab_all() {
	slab_shrink
	awk '/^Slab:/ {print $2}' /proc/meminfo
}
n_expect() {
	if rtr test -r /proc/net/nf_conntrack_expect; then
		rtr cat /proc/net/nf_conntrack_expect | wc -l
		return
	fi
	rtr conntrack -L expect 2>/dev/null | grep -c . || true
}
n_ct() {
	rtr conntrack -C 2>/dev/null || echo 0
}
klog_full() {
	dmesg | grep -c -E 'expectation table full|all ports in use' || true
}

# SIPp's final counts from its statistics file: successful and failed
sipp_counts() {
	python3 - "$1" <<-'EOF'
	import csv, sys
	rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
	h, last = rows[0], rows[-1]
	def col(n):
	    return last[h.index(n)] if n in h else '?'
	print(col('SuccessfulCall(C)'), col('FailedCall(C)'))
	EOF
}

# injection file: one media port per line, even, starting at BASE
ports_csv() {
	local n=$1 base=$2 f=$3 i
	{
		echo SEQUENTIAL
		for ((i = 0; i < n; i++)); do echo "$((base + 2 * (i % 10000)))"; done
	} >"$f"
}

sipp_uas() {
	local scen=$1 tag=$2
	shift 2
	(cd "$res" && exec ip netns exec "$TOPO_NS_SRV" sipp -sf "$dir/sipp/$scen" \
		-i "$SRV4" -p 5060 -t u1 -nostdin -max_socket 60000 "$@" \
		>"$res/sipp-$tag-uas.log" 2>&1) &
	UAS_PID=$!
	for _ in $(seq 1 100); do
		[[ $(srv ss -Hlnu "src $SRV4") == *":5060 "* ]] && return 0
		sleep 0.1
	done
	echo "sipp UAS did not start:" >&2
	cat "$res/sipp-$tag-uas.log" >&2
	return 1
}

stop_uas() {
	kill "$UAS_PID" 2>/dev/null || true
	wait "$UAS_PID" 2>/dev/null || true
}

scale_reg() {
	local h=$1 n=$2
	local tag=reg-$h-$n st rc ok fail ct ex full0 full1 el
	set_helper "$h"
	full0=$(klog_full)
	sipp_uas reg-uas.xml "$tag"
	st=$(date +%s)
	rc=0
	(cd "$res" && exec ip netns exec "$TOPO_NS_CLI" timeout -k 5 "${SIPALG_BENCH_STEP_TIMEOUT:-400}" \
		sipp -sf "$dir/sipp/reg-uac.xml" -i "$CLI4" -t un -nostdin -max_socket 60000 \
		-m "$n" -r "$REG_RATE" -l "$n" -timeout "$((n / REG_RATE + 120))" \
		-trace_stat -stf "$res/$tag.stat.csv" -fd 5 "$SRV4:5060" \
		>"$res/sipp-$tag-uac.log" 2>&1) || rc=$?
	el=$(( $(date +%s) - st ))
	ct=$(n_ct)
	ex=$(n_expect)
	stop_uas
	full1=$(klog_full)
	read -r ok fail < <(sipp_counts "$res/$tag.stat.csv" 2>/dev/null || echo "? ?")
	echo "reg,$h,$n,$ok,$fail,$((n - ${ok//\?/0})),$ct,$ex,$((full1 - full0)),,,,$el,$rc" >>"$res/scale.csv"
	log "register $h N=$n: ok $ok failed $fail, conntrack $ct, expectations $ex," \
		"table-full messages $((full1 - full0)), $el s, sipp exit $rc"
}

scale_call() {
	local h=$1 m=$2
	local tag=call-$h-$m st rc ok fail ct ex full0 full1 el hold s0 a0 s1 a1 upid
	set_helper "$h"
	ports_csv "$m" 20000 "$res/$tag-uas.csv"
	ports_csv "$m" 30000 "$res/$tag-uac.csv"
	full0=$(klog_full)
	sipp_uas call-uas.xml "$tag" -inf "$res/$tag-uas.csv"
	s0=$(slab_ct)
	a0=$(slab_all)
	# hold every call until all are up, and a margin to read the tables
	hold=$(( (m / CALL_RATE + 15) * 1000 ))
	st=$(date +%s)
	rc=0
	(cd "$res" && exec ip netns exec "$TOPO_NS_CLI" timeout -k 5 "${SIPALG_BENCH_STEP_TIMEOUT:-400}" \
		sipp -sf "$dir/sipp/call-uac.xml" -i "$CLI4" -t un -nostdin -max_socket 60000 \
		-inf "$res/$tag-uac.csv" -m "$m" -r "$CALL_RATE" -l "$m" -d "$hold" \
		-timeout "$((hold / 1000 + m / CALL_RATE + 120))" \
		-trace_stat -stf "$res/$tag.stat.csv" -fd 2 "$SRV4:5060" \
		>"$res/sipp-$tag-uac.log" 2>&1) &
	upid=$!
	# the peak: every call set up, none torn down yet
	sleep $(( m / CALL_RATE + 8 ))
	ct=$(n_ct)
	ex=$(n_expect)
	s1=$(slab_ct)
	a1=$(slab_all)
	wait "$upid" || rc=$?
	el=$(( $(date +%s) - st ))
	stop_uas
	full1=$(klog_full)
	read -r ok fail < <(sipp_counts "$res/$tag.stat.csv" 2>/dev/null || echo "? ?")
	echo "call,$h,$m,$ok,$fail,$((m - ${ok//\?/0})),$ct,$ex,$((full1 - full0)),$((s1 - s0)),$((a1 - a0)),$(( (s1 - s0) / m )),$el,$rc" >>"$res/scale.csv"
	log "calls $h M=$m: ok $ok failed $fail; at the peak conntrack $ct, expectations $ex," \
		"conntrack+expect slab +$((s1 - s0)) B ($(( (s1 - s0) / m )) B/call), all slab +$((a1 - a0)) kB;" \
		"table-full messages $((full1 - full0)); $el s, sipp exit $rc"
}

# siploadgen's registrar in the server namespace (via: answers to the top
# Via's port; source: to the source port)
lg_registrar() {
	local tag=$1 mode=$2
	ip netns exec "$TOPO_NS_SRV" "$GEN" registrar "$LG_SRV" 5060 "$mode" >"$res/lg-$tag-registrar.txt" 2>&1 &
	REGISTRAR_PID=$!
	for _ in $(seq 1 100); do
		grep -q listening "$res/lg-$tag-registrar.txt" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "registrar did not start:" >&2
	cat "$res/lg-$tag-registrar.txt" >&2
	return 1
}

# KIND (reg or call) through helper H with siploadgen, N phones or calls,
# all held while the router's tables and the guest's memory are read
lg_step() {
	local kind=$1 h=$2 n=$3
	local tag=lg$kind-$h-$n out mode=via s0 s1 a0 a1 av0 av1 ct ex full0 full1 st el rc ppid
	local sent ok fail retrans wall vns
	set_helper "$h"
	[ "$h" = none ] && mode=source
	full0=$(klog_full)
	lg_registrar "$tag" "$mode"
	s0=$(slab_ct)
	a0=$(slab_all)
	av0=$(mem_kb MemAvailable)
	out=$res/lg-$tag-phones.txt
	st=$(date +%s)
	rc=0
	rm -f "$res/lg-go"
	SIPLOADGEN_HOLD=$res/lg-go SIPLOADGEN_PORT_BASE=10000 ip netns exec "$TOPO_NS_CLI" \
		timeout -k 5 "${SIPALG_BENCH_LG_TIMEOUT:-1800}" "$GEN" phones "$kind" "$LG_CLI" "$LG_SRV" 5060 "$n" \
		>"$out" 2>&1 &
	ppid=$!
	# the peak: every phone registered (every call up), none let go
	while kill -0 "$ppid" 2>/dev/null && ! grep -q holding "$out"; do
		sleep 1
	done
	el=$(( $(date +%s) - st ))
	ct=$(n_ct)
	ex=$(n_expect)
	s1=$(slab_ct)
	a1=$(slab_all)
	av1=$(mem_kb MemAvailable)
	touch "$res/lg-go"
	wait "$ppid" || rc=$?
	kill "$REGISTRAR_PID" 2>/dev/null || true
	wait "$REGISTRAR_PID" 2>/dev/null || true
	full1=$(klog_full)
	# datagrams the phones' or the registrar's host dropped (none expected)
	cli nstat -az UdpInErrors UdpRcvbufErrors UdpSndbufErrors UdpMemErrors >"$res/lg-$tag-cli-nstat.txt" 2>&1 || true
	srv nstat -az UdpInErrors UdpRcvbufErrors UdpSndbufErrors UdpMemErrors >"$res/lg-$tag-srv-nstat.txt" 2>&1 || true
	if [ "$kind" = reg ]; then
		read -r sent ok fail retrans wall < <(awk '/^phones reg sent/ {print $4, $6, $8, $10, $12}' "$out")
	else
		read -r sent ok fail retrans wall < <(awk '/^phones call sent/ {print $4, $6, $8, $14, $16}' "$out")
	fi
	vns=$(awk '/^registrar register/ {print $NF}' "$res/lg-$tag-registrar.txt")
	echo "$kind,$h,$n,${sent:-0},${ok:-0},${fail:-$n},${retrans:-0},$ct,$ex,$((full1 - full0)),$((s1 - s0)),$((a1 - a0)),$(mem_kb MemTotal),$av0,$av1,${wall:-0},$el,$rc,$mode,${vns:-?}" >>"$res/lgscale.csv"
	log "siploadgen $kind $h N=$n: sent ${sent:-?} ok ${ok:-?} failed ${fail:-?} retrans ${retrans:-?}," \
		"${wall:-?} s (peak after $el s); at the peak conntrack $ct, expectations $ex," \
		"all slab +$((a1 - a0)) kB ($(( (a1 - a0) * 1024 / n )) B each), MemAvailable $av0 -> $av1 kB;" \
		"table-full messages $((full1 - full0)); registrar ($mode) Via not the source: ${vns:-?}; exit $rc"
}

scale() {
	local h n m
	echo "kind,helper,n,sent,ok,failed,retrans,conntrack,expectations,table_full_msgs,ct_slab_bytes,all_slab_kb,mem_total_kb,mem_avail_before_kb,mem_avail_peak_kb,gen_seconds,peak_seconds,rc,respond,via_not_source" >"$res/lgscale.csv"
	for n in $LG_REG_STEPS; do
		for h in $LG_HELPERS; do
			lg_step reg "$h" "$n"
		done
	done
	for m in $LG_CALL_STEPS; do
		for h in $LG_HELPERS; do
			lg_step call "$h" "$m"
		done
	done
	echo "kind,helper,n,ok,failed,not_ok,conntrack,expectations,table_full_msgs,ct_slab_bytes,all_slab_kb,ct_slab_bytes_per_call,seconds,sipp_rc" >"$res/scale.csv"
	for n in $REG_STEPS; do
		for h in $SCALE_HELPERS; do
			scale_reg "$h" "$n"
		done
	done
	for m in $CALL_STEPS; do
		for h in $CALL_HELPERS; do
			scale_call "$h" "$m"
		done
	done
}

for part in $PARTS; do
	log "part $part"
	"$part"
done
python3 "$dir/report.py" "$res" | tee "$res/summary.md"
