#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Policies that survive a reboot: sipalgctl policy restore FILE and policy
# save against the loaded module (init netns).
#
#   policies.conf --restore--> module's table --policy show -j--> compared
#   with the JSON worked out by hand from the file
#   table --save--> file; rmmod, insmod (table empty) --restore--> same table
#
# Checks: a file with comments, blank lines, families and combined policies
# gives exactly its policies (and replaces what was there); a file with one
# malformed line exits 2 naming FILE:LINE and changes nothing; a file the
# kernel refuses midway (the 257th policy) exits 1 and the table is put back
# as it was; an unprivileged restore exits 5 and changes nothing; save
# prints the table as policy lines, and save | restore round-trips across a
# module reload; the shipped nftables example loads.
. "$(dirname "$0")/lib.sh"

CTL=$E2E_TOP/userspace/sipalgctl
F=$E2E_OUT/files
mkdir -p "$F"
cleanup() {
	nft delete table inet sipalg 2>/dev/null || true
	[ -d /sys/module/sipalg ] && "$CTL" policy flush 2>/dev/null
	return 0
}
trap cleanup EXIT

# the JSON `policy show -j` prints for this file, worked out by hand: udp
# before tcp, by port, family any (0) < inet (2) < inet6 (10), policy words
# in the order force-rport, static-port, strict, disable
cat >"$F/policies.conf" <<'EOF'
# test policies
udp 5060 force-rport        # old phones
-4 udp 5060 strict
-6 udp 5060 disable

tcp 5061 disable
udp 5080 static-port,force-rport strict
	tcp 5060   default
EOF
WANT1='[{"proto":"udp","port":5060,"family":"any","policy":["force-rport"]},{"proto":"udp","port":5060,"family":"inet","policy":["strict"]},{"proto":"udp","port":5060,"family":"inet6","policy":["disable"]},{"proto":"udp","port":5080,"family":"any","policy":["force-rport","static-port","strict"]},{"proto":"tcp","port":5060,"family":"any","policy":["default"]},{"proto":"tcp","port":5061,"family":"any","policy":["disable"]}]'

show() { "$CTL" -j policy show; }

# a table that is not the file's: one port the file changes, two it lacks
set_before() {
	"$CTL" policy flush
	"$CTL" policy set udp 5060 static-port
	"$CTL" policy set udp 7000 strict
	"$CTL" -6 policy set tcp 5062 force-rport
}
WANT_BEFORE='[{"proto":"udp","port":5060,"family":"any","policy":["static-port"]},{"proto":"udp","port":7000,"family":"any","policy":["strict"]},{"proto":"tcp","port":5062,"family":"inet6","policy":["force-rport"]}]'

restore_matches_file() {
	set_before
	[ "$(show)" = "$WANT_BEFORE" ]
	"$CTL" policy restore "$F/policies.conf"
	echo "after restore: $(show)"
	[ "$(show)" = "$WANT1" ]
	# again: nothing to change, same table
	"$CTL" policy restore "$F/policies.conf"
	[ "$(show)" = "$WANT1" ]
	# from standard input
	"$CTL" policy flush
	"$CTL" policy restore - <"$F/policies.conf"
	[ "$(show)" = "$WANT1" ]
	# an empty file leaves no policy
	: >"$F/empty.conf"
	"$CTL" policy restore "$F/empty.conf"
	[ "$(show)" = '[]' ]
}

# rc_of CMD...: its exit status, its stderr in $ERR
rc_of() {
	set +e
	"$@" 2>"$F/err"
	RC=$?
	set -e
	ERR=$(cat "$F/err")
	echo "\$ $* -> exit $RC: $ERR"
}

malformed_changes_nothing() {
	set_before
	{
		head -n 5 "$F/policies.conf"
		echo "udp 5090 force-rport,strikt"
		tail -n +6 "$F/policies.conf"
	} >"$F/bad.conf"
	rc_of "$CTL" policy restore "$F/bad.conf"
	[ "$RC" = 2 ]
	[[ $ERR == "sipalgctl: $F/bad.conf:6: unknown policy \"strikt\": expected default, "* ]]
	[ "$(echo "$ERR" | wc -l)" = 1 ]
	[ "$(show)" = "$WANT_BEFORE" ]
	# a port out of range on the last line, a duplicate: the same
	printf 'udp 5060 disable\nudp 0 disable\n' >"$F/bad2.conf"
	rc_of "$CTL" policy restore "$F/bad2.conf"
	[ "$RC" = 2 ]
	[[ $ERR == "sipalgctl: $F/bad2.conf:2: port out of range: 0"* ]]
	[ "$(show)" = "$WANT_BEFORE" ]
}

# 257 policies: the module holds 256 per namespace, so the kernel refuses
# line 258 (line 1 a comment, line 2 replaces udp 5060, lines 3-258 are new;
# udp 7000 and -6 tcp 5062 are deleted first): everything is put back
kernel_refusal_rolls_back() {
	local p
	set_before
	{
		echo "# 257 policies"
		echo "udp 5060 strict"
		for p in $(seq 10000 10255); do echo "udp $p force-rport"; done
	} >"$F/big.conf"
	[ "$(grep -c '^udp' "$F/big.conf")" = 257 ]
	rc_of "$CTL" policy restore "$F/big.conf"
	[ "$RC" = 1 ]
	[[ $ERR == *"sipalgctl: $F/big.conf:258: cannot set the policy: "*"No space left on device"* ]]
	[[ $ERR == *"nothing changed: the policies are as they were before"* ]]
	[ "$(show)" = "$WANT_BEFORE" ]
	# one fewer fits
	sed -i '$d' "$F/big.conf"
	"$CTL" policy restore "$F/big.conf"
	[ "$("$CTL" policy show | grep -c '^udp')" = 256 ]
	[ "$("$CTL" policy show udp 5060)" = "$(printf 'proto port  family policy\nudp   5060  any    strict')" ]
	e2e_kernel_log_clean
}

unprivileged_changes_nothing() {
	set_before
	# the file on standard input, opened as root
	rc_of setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" policy restore - <"$F/policies.conf"
	[ "$RC" = 5 ]
	[[ $ERR == *"permission denied: needs CAP_NET_ADMIN"* ]]
	[ "$(show)" = "$WANT_BEFORE" ]
}

save_restore_round_trip() {
	"$CTL" policy flush
	"$CTL" policy set udp 5060 force-rport
	"$CTL" -4 policy set udp 5060 strict
	"$CTL" -6 policy set udp 5060 disable
	"$CTL" policy set udp 5080 static-port force-rport,strict
	"$CTL" policy set tcp 5060 default
	"$CTL" policy set tcp 5061 disable
	[ "$(show)" = "$WANT1" ]
	"$CTL" policy save >"$F/saved.conf"
	cat "$F/saved.conf"
	# the lines worked out by hand from the policy set commands above
	[ "$(cat "$F/saved.conf")" = "$(cat <<'EOF'
# sipalg policies (sipalgctl policy save): [-4|-6] PROTO PORT POLICY
udp 5060 force-rport
-4 udp 5060 strict
-6 udp 5060 disable
udp 5080 force-rport,static-port,strict
tcp 5060 default
tcp 5061 disable
EOF
)" ]
	# a reload forgets every policy; the saved file brings them back
	e2e_module_unload
	e2e_module_load
	[ "$(show)" = '[]' ]
	"$CTL" policy restore "$F/saved.conf"
	[ "$(show)" = "$WANT1" ]
	[ "$("$CTL" policy save)" = "$(cat "$F/saved.conf")" ]
	# save of an empty table restores to an empty table
	"$CTL" policy flush
	"$CTL" policy save >"$F/none.conf"
	[ "$(grep -vc '^#' "$F/none.conf")" = 0 ]
	"$CTL" policy set udp 5999 disable
	"$CTL" policy restore "$F/none.conf"
	[ "$(show)" = '[]' ]
	e2e_kernel_log_clean
}

# dist/sipalg.nft, as shipped, attaches the helper: its objects name sipalg
nft_example_loads() {
	nft -f "$E2E_TOP/dist/sipalg.nft"
	local out
	out=$(nft list table inet sipalg)
	echo "$out"
	[[ $out == *'type "sipalg" protocol udp'* ]]
	[[ $out == *'type "sipalg" protocol tcp'* ]]
	[[ $out == *'udp dport 5060 ct helper set "sip-udp"'* ]]
	nft delete table inet sipalg
}

if [ ! -x "$CTL" ]; then
	echo "FAIL sipalgctl-built: $CTL missing: build it on the host first (make ctl)"
	e2e_finish
	exit 1
fi
e2e_module_load
e2e_test policy-restore-matches-file restore_matches_file
e2e_test policy-restore-malformed-changes-nothing malformed_changes_nothing
e2e_test policy-restore-kernel-refusal-rolls-back kernel_refusal_rolls_back
e2e_test policy-restore-unprivileged-changes-nothing unprivileged_changes_nothing
e2e_test policy-save-restore-round-trip save_restore_round_trip
if e2e_have nft; then
	e2e_test policy-nft-example-loads nft_example_loads
else
	t_skip policy-nft-example-loads "nft is not installed"
fi
e2e_finish
