#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench-helper, inside the test guest (scripts/bench-helper.sh boots it):
# the time each SIP helper spends in its own help() per message, measured by
# the kernel's function_graph tracer on the helper's entry points only
# (sipalg_help_udp/_tcp; the in-tree nf_conntrack_sip's sip_help_udp/_tcp,
# which call nf_nat_sip's rewrite and set up the expectations from within).
#
# The e2e topology (tests/e2e/topo.sh: client, router with masquerade
# fully-random, server); siploadgen sends the same five messages in turn
# (REGISTER, INVITE+SDP, 200 OK+SDP, re-INVITE+SDP, BYE; SIPLOADGEN_MIX=5)
# through the router to a sink, over UDP and over TCP with one message per
# segment. Rounds interleave the routers (the kernel takes one helper per
# port, so the helper attached is switched between them), their order
# rotated by one each round so that none always runs first:
#   sipalg  the production module (SIPALG_KO), nobody listening to the monitor
#   sip     nf_conntrack_sip + nf_nat_sip
#   spin0   the instrument-check build (SIPALG_SPIN_KO), bench_spin_ns=0
#   spinN   the same build with bench_spin_ns=N (SIPALG_HB_SPIN_NS, 5000):
#           spinN - spin0 must come out at about N ns per call
#   nomon   the monitor's baseline build (SIPALG_NOMON_KO): the monitor's
#           event hooks compiled out, its listener check included
#   sipalg-mon  the production module with `sipalgctl -j monitor` listening
#           in the router's namespace for the run (SIPALG_BENCH_CTL); the
#           events it received are counted into mon-ROUTER-PROTO-ROUND.txt
# Each (router, protocol, round) leaves trace-ROUTER-PROTO-ROUND.txt;
# tests/bench-e2e/helper-sum.py turns them into helper.csv and summary.md.
#
# SIPALG_HB_MSGS   messages per round and router (2000)
# SIPALG_HB_ROUNDS rounds (5)
# SIPALG_HB_PROTOS "udp tcp"
# SIPALG_HB_ROUTERS "sipalg sip spin0 spinN nomon sipalg-mon" (spin* need
#                  SIPALG_SPIN_KO, nomon SIPALG_NOMON_KO, sipalg-mon
#                  SIPALG_BENCH_CTL; a router whose file is not given is left out)
set -euo pipefail
export LC_ALL=C
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../.." && pwd)
res=${SIPALG_RESULTS:-/tmp/sipalg-bench}/bench-helper
mkdir -p "$res"
export E2E_OUT=$res/topo
mkdir -p "$E2E_OUT"
# shellcheck source=tests/e2e/topo.sh
. "$top/tests/e2e/topo.sh"
trap topo_down EXIT

KO=${SIPALG_KO:?SIPALG_KO must name sipalg.ko for $(uname -r)}
SPIN_KO=${SIPALG_SPIN_KO:-}
NOMON_KO=${SIPALG_NOMON_KO:-}
CTL=${SIPALG_BENCH_CTL:-}
GEN=${SIPALG_BENCH_GEN:?SIPALG_BENCH_GEN must name the siploadgen binary}
MSGS=${SIPALG_HB_MSGS:-2000}
ROUNDS=${SIPALG_HB_ROUNDS:-5}
PROTOS=${SIPALG_HB_PROTOS:-udp tcp}
SPIN_NS=${SIPALG_HB_SPIN_NS:-5000}
ROUTERS=${SIPALG_HB_ROUTERS:-sipalg sip spin0 spinN nomon sipalg-mon}
drop_router() { ROUTERS=$(echo "$ROUTERS" | tr ' ' '\n' | grep -v "$1" | tr '\n' ' '); }
[ -n "$SPIN_KO" ] || drop_router '^spin'
[ -n "$NOMON_KO" ] || drop_router '^nomon$'
[ -n "$CTL" ] || drop_router '^sipalg-mon$'
export SIPLOADGEN_MIX=5 SIPLOADGEN_SEG=msg
export SIPLOADGEN_LIMIT=${SIPALG_HB_SEND_LIMIT:-20}
T=/sys/kernel/tracing

log() { echo "bench-helper: $(date +%H:%M:%S) $*"; }

modprobe -a nf_conntrack nf_nat
deps=$(modinfo -F depends "$KO" | tr ',' ' ')
# shellcheck disable=SC2086
[ -z "$deps" ] || modprobe -a $deps
[ -f "$T/tracing_on" ] || mount -t tracefs nodev "$T"
grep -q function_graph "$T/available_tracers" || {
	echo "bench-helper: no function_graph tracer in $(uname -r)" >&2
	exit 1
}
{
	echo "kernel $(uname -r), $(nproc) CPUs"
	grep -E '^CONFIG_(FUNCTION_GRAPH_TRACER|FUNCTION_PROFILER|DYNAMIC_FTRACE)=' \
		"/boot/config-$(uname -r)" 2>/dev/null || true
	echo "trace_clock $(cat "$T/trace_clock")"
} | tee "$res/env.txt"
topo_up --helper none --nat fully-random

LOADED=
# load the module a router needs (the kernel refuses two helpers on a port)
use_module() {
	local want=$1
	case $want in
	sip)
		[ ! -d /sys/module/sipalg ] || rmmod sipalg
		modprobe -a nf_conntrack_sip nf_nat_sip
		;;
	*)
		[ ! -d /sys/module/nf_nat_sip ] || rmmod nf_nat_sip
		[ ! -d /sys/module/nf_conntrack_sip ] || rmmod nf_conntrack_sip
		local ko=$KO
		[[ $want == spin* ]] && ko=$SPIN_KO
		[ "$want" = nomon ] && ko=$NOMON_KO
		if [ "$LOADED" != "$ko" ] || [ ! -d /sys/module/sipalg ]; then
			[ ! -d /sys/module/sipalg ] || rmmod sipalg
			insmod "$ko"
			LOADED=$ko
		fi
		if [[ $want == spin* ]]; then
			local ns=0
			[ "$want" = spinN ] && ns=$SPIN_NS
			echo "$ns" >/sys/module/sipalg/parameters/bench_spin_ns
		fi
		;;
	esac
}

funcs_of() {
	case $1 in
	sip) echo "sip_help_udp sip_help_tcp" ;;
	*) echo "sipalg_help_udp sipalg_help_tcp" ;;
	esac
}

flush_ct() {
	rtr conntrack -F >/dev/null 2>&1 || true
	rtr conntrack -F expect >/dev/null 2>&1 || true
}

set_router() {
	local r=$1 t=sipalg f
	[ "$r" = sip ] && t=sip
	mon_stop
	rtr nft delete table inet bench_helper 2>/dev/null || true
	flush_ct
	use_module "$r"
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
	flush_ct
	for f in $(funcs_of "$r"); do
		grep -qE "^$f( |\$)" "$T/available_filter_functions" || {
			echo "bench-helper: $f is not in available_filter_functions" >&2
			exit 1
		}
	done
}

# sipalg-mon: a monitor listening in the router's namespace for one run,
# its JSON lines kept in the guest's /tmp and counted when it stops (it
# says on monitor.err how many events the module lost meanwhile)
MON_PID=
MON_TAG=
mon_start() {
	MON_TAG=$1
	(exec ip netns exec "$TOPO_NS_RTR" "$CTL" -j monitor >"/tmp/mon-$MON_TAG.json" \
		2>>"$res/monitor.err") &
	MON_PID=$!
	sleep 1
	kill -0 "$MON_PID" 2>/dev/null || {
		echo "bench-helper: sipalgctl monitor did not start (monitor.err)" >&2
		exit 1
	}
}
mon_stop() {
	local n=-1
	[ -n "$MON_PID" ] || return 0
	# let it read what is still queued on its socket (a listener slower
	# than the sender is behind at the run's end): until its output stops
	# growing, at most 10 s; the events' cost in help() is paid already
	for _ in $(seq 1 20); do
		[ "$(stat -c %s "/tmp/mon-$MON_TAG.json")" != "$n" ] || break
		n=$(stat -c %s "/tmp/mon-$MON_TAG.json")
		sleep 0.5
	done
	kill -INT "$MON_PID" 2>/dev/null || true
	wait "$MON_PID" 2>/dev/null || true
	MON_PID=
	wc -l <"/tmp/mon-$MON_TAG.json" | tr -d ' ' >"$res/mon-$MON_TAG.txt"
	rm -f "/tmp/mon-$MON_TAG.json"
}

# the tracer on the router's help() entry points only, one level deep: the
# duration of each call, nothing inside it traced (no cost added inside)
trace_start() {
	echo 0 >"$T/tracing_on"
	echo nop >"$T/current_tracer"
	funcs_of "$1" >"$T/set_ftrace_filter"
	echo 1 >"$T/max_graph_depth"
	echo 16384 >"$T/buffer_size_kb"
	echo function_graph >"$T/current_tracer"
	echo 1 >"$T/options/funcgraph-duration" 2>/dev/null || true
	echo 0 >"$T/options/funcgraph-overhead" 2>/dev/null || true
	echo >"$T/trace"
	echo 1 >"$T/tracing_on"
}
trace_stop() {
	echo 0 >"$T/tracing_on"
	cp "$T/trace" "$res/trace-$1.txt"
	grep -h -o 'entries-in-buffer/entries-written: [0-9/]*' "$T/trace" >>"$res/trace-$1.txt" || true
	echo nop >"$T/current_tracer"
	echo >"$T/set_ftrace_filter"
}

one() {
	local r=$1 proto=$2 round=$3 n=${4:-$MSGS} sport=5060 tag spid out
	tag=$r-$proto-$round
	[ "$proto" = tcp ] && sport=0
	set_router "$r"
	[ "$r" != sipalg-mon ] || mon_start "$tag"
	out=$res/sink-$tag.txt
	ip netns exec "$TOPO_NS_SRV" "$GEN" sink "$proto" "$SRV4" 5060 "$n" 2000 >"$out" 2>&1 &
	spid=$!
	for _ in $(seq 1 100); do
		grep -q listening "$out" 2>/dev/null && break
		sleep 0.1
	done
	trace_start "$r"
	cli timeout -k 5 $((SIPLOADGEN_LIMIT + 30)) "$GEN" send "$proto" "$CLI4" "$sport" "$SRV4" 5060 "$n" \
		>"$res/send-$tag.txt" 2>&1 || echo "send exit $?" >>"$res/send-$tag.txt"
	wait "$spid" || true
	trace_stop "$tag"
	mon_stop
	if [ "$r" = sipalg-mon ]; then
		# the listener must really have been subscribed: it got events
		[ "$(cat "$res/mon-$tag.txt")" -gt 0 ] || {
			echo "bench-helper: $tag: the monitor received no event" >&2
			exit 1
		}
		log "$tag: monitor received $(cat "$res/mon-$tag.txt") events"
	fi
	log "$tag: $(head -n1 "$res/send-$tag.txt"); $(tail -n1 "$out")"
}

# warm-up, not recorded: caches, module loads
for p in $PROTOS; do
	for r in $ROUTERS; do
		one "$r" "$p" warmup $((MSGS / 10 + 5)) >/dev/null
	done
done
rm -f "$res"/trace-*-warmup.txt
rm -f "$res"/mon-*-warmup.txt
# round k runs the routers rotated by k-1: each takes each place in turn
read -r -a order <<<"$ROUTERS"
for round in $(seq 1 "$ROUNDS"); do
	log "round $round: ${order[*]}"
	for p in $PROTOS; do
		for r in "${order[@]}"; do
			one "$r" "$p" "$round"
		done
	done
	order=("${order[@]:1}" "${order[0]}")
done
python3 "$dir/helper-sum.py" "$res" "$SPIN_NS" | tee "$res/summary.md"
