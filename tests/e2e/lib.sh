# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the end-to-end tests that run inside the test guest (see
# scripts/vm/run.sh). Source it at the top of a tests/e2e/t-*.sh file:
#
#   . "$(dirname "$0")/lib.sh"
#
#   e2e_test NAME FUNC [ARGS]  run FUNC under `set -e` (every line is an
#                              assertion); PASS/FAIL line as in tests/lib.sh
#   t_skip NAME REASON         from tests/lib.sh
#   e2e_module_load [PARAM=V]  load the sipalg.ko built for this kernel
#                              ($SIPALG_KO) after its dependencies; no-op when
#                              already loaded
#   e2e_module_unload          rmmod sipalg when loaded
#   e2e_kernel_log_clean       fails (and prints the lines) when the kernel log
#                              holds a warning, BUG, oops or call trace
#   e2e_have CMD...            true when every CMD is installed
#   e2e_wait SECS CMD...       run CMD (output dropped) every 0.1 s until it
#                              succeeds; after SECS fails, naming CMD
#   e2e_finish                 print this file's summary; exit status
#
# Beware `cmd | grep -q re` under pipefail (set here): grep -q exits at the
# first match, and a cmd still writing then dies of SIGPIPE, failing the
# pipeline at random. Capture first: out=$(cmd); [[ $out == *text* ]], or
# count: [ "$(cmd | grep -c re)" -gt 0 ] (grep -c reads everything; GNU grep
# writing to /dev/null stops early like -q).
#
# Variables: E2E_TOP (the repository), E2E_OUT (this file's artefact
# directory inside the results share: captures, logs), SIPALG_KO.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_TOP=$(cd "$E2E_DIR/../.." && pwd)
E2E_NAME=$(basename "$0" .sh)
E2E_OUT=${SIPALG_RESULTS:-/tmp/sipalg-e2e}/$E2E_NAME
mkdir -p "$E2E_OUT/logs"
export T_LOGDIR=$E2E_OUT/logs
# shellcheck source=tests/lib.sh
. "$E2E_TOP/tests/lib.sh"

# lines that must never appear in the kernel log of a passing run
E2E_BAD_KLOG='WARNING:|BUG:|Oops|Call Trace|general protection fault|UBSAN|KASAN|list_(add|del) corruption|refcount_t:|soft lockup|rcu.*stall|hung_task|unknown parameter'

e2e__strict() {
	set -e
	"$@"
}

e2e_test() {
	local name=$1
	shift
	export E2E_TEST=$name
	t_run "$name" e2e__strict "$@"
}

e2e_have() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || return 1
	done
}

e2e_wait() {
	local secs=$1 end
	shift
	end=$(($(date +%s) + secs))
	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "timed out after $secs s waiting for: $*" >&2
	return 1
}

e2e_module_loaded() {
	[ -d /sys/module/sipalg ]
}

e2e_module_load() {
	local ko=${SIPALG_KO:?SIPALG_KO must name the sipalg.ko built for $(uname -r)} deps
	e2e_module_loaded && return 0
	[ -r "$ko" ] || { echo "no module at $ko" >&2; return 1; }
	# whatever the module links against (nf_conntrack, nf_nat, ...), from
	# the installed kernel's own modules
	deps=$(modinfo -F depends "$ko" | tr ',' ' ')
	# shellcheck disable=SC2086
	[ -z "$deps" ] || modprobe -a $deps
	insmod "$ko" "$@"
}

e2e_module_unload() {
	e2e_module_loaded || return 0
	rmmod sipalg
}

e2e_kernel_log_clean() {
	if dmesg | grep -E -B 2 -A 20 "$E2E_BAD_KLOG"; then
		echo "kernel log has warnings (above)"
		return 1
	fi
	return 0
}

e2e_finish() {
	t_summary
}
