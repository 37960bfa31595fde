#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the end-to-end tests, inside the test guest (scripts/e2e.sh boots it):
# every tests/e2e/t-*.sh in name order, each in its own bash, then the checks
# that hold after all of them (module unloads, clean kernel log). Prints the
# tests' PASS/FAIL/SKIP lines as they come, one "-- FILE: ..." line per file
# and a closing "N passed, M failed, K skipped".
#
#   tests/e2e/run.sh [WORD...]     only the files whose name contains a WORD
#
# Needs root and SIPALG_KO (the sipalg.ko built for the running kernel).
# E2E_FILE_TIMEOUT (seconds, default 600) bounds each file.
set -uo pipefail
export LC_ALL=C
dir=$(cd "$(dirname "$0")" && pwd)
out=${SIPALG_RESULTS:-/tmp/sipalg-e2e}
mkdir -p "$out"

if [ -z "${SIPALG_KO:-}" ]; then
	echo "run.sh: set SIPALG_KO to the sipalg.ko built for $(uname -r)" >&2
	exit 2
fi

files=()
for f in "$dir"/t-*.sh; do
	[ -e "$f" ] || continue
	if [ $# -gt 0 ]; then
		keep=0
		for w in "$@"; do
			[[ $(basename "$f") == *"$w"* ]] && keep=1
		done
		[ "$keep" = 1 ] || continue
	fi
	files+=("$f")
done

P=0 F=0 S=0
count() {
	local p f s
	p=$(grep -c '^PASS ' "$1")
	f=$(grep -c '^FAIL ' "$1")
	s=$(grep -c '^SKIP ' "$1")
	P=$((P + p)) F=$((F + f)) S=$((S + s))
	FILE_FAILS=$f
	FILE_LINE="$p passed, $f failed, $s skipped"
}

leftovers() {
	local ns
	for ns in $(ip netns list | awk '{print $1}'); do
		for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns"
		echo "   (removed namespace $ns left behind)"
	done
}

for f in "${files[@]}"; do
	name=$(basename "$f" .sh)
	log=$out/$name.out
	st=$(date +%s)
	echo "-- $name"
	timeout -k 5 "${E2E_FILE_TIMEOUT:-600}" bash "$f" 2>&1 | tee "$log" |
		grep --line-buffered -v -E '^[0-9]+ passed, [0-9]+ failed'
	rc=${PIPESTATUS[0]}
	count "$log"
	if [ "$rc" = 124 ]; then
		echo "FAIL $name: timed out after ${E2E_FILE_TIMEOUT:-600} s"
		F=$((F + 1))
	elif [ "$rc" != 0 ] && [ "$FILE_FAILS" = 0 ]; then
		echo "FAIL $name: exited $rc without a failed test"
		F=$((F + 1))
	fi
	echo "-- $name: $FILE_LINE in $(( $(date +%s) - st )) s"
	leftovers
done

# after every file: nothing may hold the module, and the kernel must not
# have complained
T_LOGDIR=$out/final
mkdir -p "$T_LOGDIR"
final=$out/final.out
{
	if [ -d /sys/module/sipalg ]; then
		if nft flush ruleset && rmmod sipalg; then
			echo "PASS module-unloads-at-end"
		else
			echo "FAIL module-unloads-at-end: rmmod sipalg failed after flushing the ruleset"
		fi
	fi
	bad='WARNING:|BUG:|Oops|Call Trace|general protection fault|UBSAN|KASAN|list_(add|del) corruption|refcount_t:|soft lockup|rcu.*stall|hung_task|unknown parameter'
	dmesg >"$out/dmesg-final.txt" 2>&1
	if grep -q -E "$bad" "$out/dmesg-final.txt"; then
		echo "FAIL final-kernel-log-clean: the kernel log has warnings:"
		grep -E -B 2 -A 25 "$bad" "$out/dmesg-final.txt" | head -n 60 | sed 's/^/    /'
	else
		echo "PASS final-kernel-log-clean"
	fi
} | tee "$final"
count "$final"
echo "$P passed, $F failed, $S skipped"
[ "$F" = 0 ]
