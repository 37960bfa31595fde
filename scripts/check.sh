#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: run every test stage, print each test by name, the time each
# stage took, and a closing "N passed, M failed, K skipped" over all stages.
#
# The KUnit stage starts first, in the background at nice 19, when the e2e
# stage runs too (SIPALG_CHECK_OVERLAP=0 runs it in its turn instead). Its
# cold cost is two UML kernel builds, about 26 CPU-minutes; the e2e guests
# (TCG, one vCPU each, two at a time) leave about a quarter of both cores
# idle while they wait on timers and the network, and the build fills that
# idle time instead of running before them. Its output is kept in a file and
# printed, with its summary, after the stages in the foreground.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

stages=(
	"unit:make -s -C tests/unit check"
	"fuzz-smoke:make -s -C tests/fuzz smoke"
	"ctl:make -s -C tests/ctl check"
	"scripts:tests/scripts/run.sh"
	"kunit:scripts/kunit.sh"
	"e2e:scripts/e2e.sh"
)
[ -n "${SIPALG_STAGES:-}" ] && IFS=' ' read -r -a only <<<"$SIPALG_STAGES"

tp=0 tf=0 ts=0 broken=()
t0=$(date +%s)

selected() {
	[ -z "${only[*]:-}" ] || [[ " ${only[*]} " == *" $1 "* ]]
}

# count the summary line of stage $1 (output in $2, exit status $3)
tally() {
	local name=$1 out=$2 rc=$3 line p f k
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "=== stage $name: no test summary (exit $rc): counted as 1 failure"
		broken+=("$name")
		tf=$((tf + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	k=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + ${k:-0}))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "=== stage $name: exit $rc with no failed test: counted as 1 failure"
		broken+=("$name")
		tf=$((tf + 1))
	fi
}

# the background stage: name, command, its output file, pid and start time
bg_name= bg_out= bg_pid= bg_t0=
if [ "${SIPALG_CHECK_OVERLAP:-1}" != 0 ] && selected kunit && selected e2e; then
	for s in "${stages[@]}"; do
		[ "${s%%:*}" = kunit ] || continue
		bg_name=kunit
		bg_out=$(mktemp)
		bg_t0=$(date +%s)
		echo "=== stage kunit: ${s#*:} started in the background (nice 19); its output follows the other stages (live in $bg_out)"
		setsid nice -n 19 bash -c "${s#*:}; echo \"=== rc \$?\"" >"$bg_out" 2>&1 &
		bg_pid=$!
	done
fi
# a stop (Ctrl-C, CI timeout) ends the background stage too
trap '[ -n "$bg_pid" ] && kill -- -"$bg_pid" "$bg_pid" 2>/dev/null' EXIT

for s in "${stages[@]}"; do
	name=${s%%:*}
	cmd=${s#*:}
	selected "$name" || continue
	[ "$name" = "$bg_name" ] && continue
	echo "=== stage $name: $cmd"
	st=$(date +%s)
	out=$(mktemp)
	bash -c "$cmd" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	tally "$name" "$out" "$rc"
	rm -f "$out"
	echo "=== stage $name: $(( $(date +%s) - st )) s"
done

if [ -n "$bg_pid" ]; then
	echo "=== stage $bg_name (background): waiting for it"
	wait "$bg_pid"
	bg_pid=
	rc=$(sed -nE 's/^=== rc ([0-9]+)$/\1/p' "$bg_out" | tail -n 1)
	sed '/^=== rc [0-9]*$/d' "$bg_out"
	tally "$bg_name" "$bg_out" "${rc:-1}"
	rm -f "$bg_out"
	echo "=== stage $bg_name: $(( $(date +%s) - bg_t0 )) s (in the background, from the start)"
fi
echo "=== all stages: $(( $(date +%s) - t0 )) s${broken:+, broken stages: ${broken[*]}}"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
