#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fuzz smoke test in the project's test format: build the libFuzzer target,
# replay every seed from the corpora once, then fuzz for a short while.
#   smoke.sh CLANG CORPORA SECONDS
set -uo pipefail
cd "$(dirname "$0")"
clang=$1 corpora=$2 secs=$3
pass=0 fail=0 skip=0
B=build
log=$B/smoke.log
mkdir -p $B
res() {	# PASS|FAIL|SKIP name [why]
	case $1 in
	PASS) pass=$((pass + 1)); echo "PASS $2" ;;
	FAIL) fail=$((fail + 1)); echo "FAIL $2: $3" ;;
	SKIP) skip=$((skip + 1)); echo "SKIP $2: $3" ;;
	esac
}
if ! command -v "$clang" >/dev/null 2>&1; then
	res SKIP "fuzz build" "$clang not installed"
	echo "$pass passed, $fail failed, $skip skipped"
	exit 0
fi
if make -s $B/fuzz_core CLANG="$clang" >"$log" 2>&1; then
	res PASS "fuzz build (clang -fsanitize=fuzzer,address,undefined)"
else
	res FAIL "fuzz build" "$(tail -n 5 "$log" | tr '\n' ' ')"
	echo "$pass passed, $fail failed, $skip skipped"
	exit 1
fi
if [ -d "$corpora" ]; then
	n=$(./seeds.sh "$corpora" $B/seeds)
	if $B/fuzz_core -runs=0 -max_len=70000 $B/seeds >"$log" 2>&1; then
		res PASS "fuzz seeds: $n corpus messages replayed, 0 crashes, 0 sanitizer reports"
	else
		res FAIL "fuzz seeds" "$(grep -E 'ERROR|invariant|SUMMARY' "$log" | head -n 3 | tr '\n' ' ')"
	fi
else
	mkdir -p $B/seeds
	res SKIP "fuzz seeds" "corpora not found at $corpora (set SIPALG_CORPORA)"
fi
rm -rf $B/smoke-corpus
mkdir -p $B/smoke-corpus
if $B/fuzz_core -max_total_time="$secs" -max_len=16384 -dict=sip.dict \
	-artifact_prefix=$B/ -print_final_stats=1 \
	$B/smoke-corpus $B/seeds >"$log" 2>&1; then
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")
	rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log")
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
	res PASS "fuzz run: ${secs} s, ${execs:-?} inputs (${rate:-?}/s), ${cov:-cov ?}, 0 crashes, 0 sanitizer reports"
else
	res FAIL "fuzz run" "$(grep -E 'ERROR|invariant|SUMMARY|artifact' "$log" | head -n 4 | tr '\n' ' ')"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
