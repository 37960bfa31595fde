#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: run every test stage, print each test by name, the time each
# stage took, and a closing "N passed, M failed, K skipped" over all stages.
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
for s in "${stages[@]}"; do
	name=${s%%:*}
	cmd=${s#*:}
	if [ -n "${only[*]:-}" ] && [[ " ${only[*]} " != *" $name "* ]]; then
		continue
	fi
	echo "=== stage $name: $cmd"
	st=$(date +%s)
	out=$(mktemp)
	bash -c "$cmd" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "=== stage $name: no test summary (exit $rc): counted as 1 failure"
		broken+=("$name")
		tf=$((tf + 1))
	else
		p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
		k=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
		tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + ${k:-0}))
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "=== stage $name: exit $rc with no failed test: counted as 1 failure"
			broken+=("$name")
			tf=$((tf + 1))
		fi
	fi
	echo "=== stage $name: $(( $(date +%s) - st )) s"
done
echo "=== all stages: $(( $(date +%s) - t0 )) s${broken:+, broken stages: ${broken[*]}}"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
