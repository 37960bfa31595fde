# SPDX-License-Identifier: GPL-2.0
# Shared test-runner helpers for sipalg's shell tests. Source it, then:
#
#   t_run NAME CMD [ARGS...]   run CMD; PASS when it exits 0, else FAIL with
#                              the last lines of its output
#   t_skip NAME REASON         a test that could not run here (never a pass)
#   t_summary                  print "N passed, M failed, K skipped"; returns
#                              non-zero when anything failed
#
# Output, one line per test:  PASS name | FAIL name: why | SKIP name: why

T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_LOGDIR=${T_LOGDIR:-$(mktemp -d /tmp/sipalg-tests.XXXXXX)}

t_run() {
	local name=$1 log rc
	shift
	log="$T_LOGDIR/$(printf %s "$name" | tr -c 'A-Za-z0-9_.-' '_').log"
	set +e
	("$@") >"$log" 2>&1
	rc=$?
	set -e
	if [ "$rc" = 0 ]; then
		T_PASSED=$((T_PASSED + 1))
		echo "PASS $name"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "FAIL $name: exit $rc, last output:"
		tail -n 25 "$log" | sed 's/^/    /'
	fi
	return 0
}

t_skip() {
	T_SKIPPED=$((T_SKIPPED + 1))
	echo "SKIP $1: $2"
}

t_summary() {
	echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
	[ "$T_FAILED" = 0 ]
}

# the shared corpora live beside the repository, never inside it
t_corpora() {
	local top
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	echo "${SIPALG_CORPORA:-$top/../shared/corpora}"
}
