# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Run scenario files with the kernel's own SIP helper (nf_conntrack_sip +
# nf_nat_sip, helper type "sip") instead of sipalg and tabulate both
# results. Sourced by t-68/t-69 after lib.sh, with INTREE_FILES naming the
# files (without .sh); writes $E2E_OUT/compare.md.

RESULTS=${SIPALG_RESULTS:-/tmp/sipalg-e2e}
FILES=${INTREE_FILES:?set INTREE_FILES}

# the in-tree helper and sipalg cannot both register port 5060: sipalg
# goes first (nothing holds it between files), comes back at the end
intree_loads() {
	nft flush ruleset
	e2e_module_unload
	modprobe nf_conntrack_sip
	modprobe nf_nat_sip
	grep -q '^nf_nat_sip ' /proc/modules
}

intree_unloads_sipalg_back() {
	nft flush ruleset
	modprobe -r nf_nat_sip nf_conntrack_sip
	e2e_module_load
}

run_intree() {
	local f out=$E2E_OUT/intree
	mkdir -p "$out"
	for f in $FILES; do
		[ -x "$E2E_DIR/$f.sh" ] || continue
		echo "== $f with the in-tree helper"
		SIPALG_RESULTS=$out TOPO_HELPER_TYPE=sip timeout -k 5 280 \
			bash "$E2E_DIR/$f.sh" >"$out/$f.out" 2>&1 || true
		# indented: these are the in-tree helper's results, not this
		# file's tests
		grep -E '^(PASS|FAIL|SKIP) ' "$out/$f.out" | grep -v kernel-log-clean |
			cut -d: -f1 | sed 's/^/    in-tree: /' || true
	done
}

# result of test NAME in file OUT: PASS, FAIL, SKIP or "-"
result_of() {
	local r
	r=$(grep -E "^(PASS|FAIL|SKIP) $2(:| |\$)" "$1" 2>/dev/null | head -n 1 | cut -d' ' -f1)
	echo "${r:--}"
}

write_table() {
	local f name t
	{
		echo "| scenario | sipalg | in-tree (nf_conntrack_sip + nf_nat_sip) |"
		echo "|---|---|---|"
		for f in $FILES; do
			for name in $(grep -E '^(PASS|FAIL|SKIP) ' "$E2E_OUT/intree/$f.out" 2>/dev/null |
				awk '{print $2}' | sed 's/:$//' | grep -v -e '^kernel-log-clean$'); do
				t="| $name | $(result_of "$RESULTS/$f.out" "$name") | $(result_of "$E2E_OUT/intree/$f.out" "$name") |"
				echo "$t"
			done
		done
	} >"$E2E_OUT/compare.md"
	cat "$E2E_OUT/compare.md"
	[ "$(wc -l <"$E2E_OUT/compare.md")" -gt 2 ]
}

if ! modinfo nf_nat_sip >/dev/null 2>&1; then
	t_skip intree-compare "nf_nat_sip is not available on $(uname -r)"
	e2e_finish
	exit
fi
e2e_test intree-helper-loads intree_loads
run_intree
e2e_test intree-helper-unloads-sipalg-back intree_unloads_sipalg_back
e2e_test intree-comparison-table-written write_table
# the in-tree helper may have complained: that is its result, not ours
e2e_finish
