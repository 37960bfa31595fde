#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-port policy over generic netlink, with sipalgctl and with raw netlink
# messages:
#
#   init netns (sipalgctl here)     netns sa-pa          netns sa-pb
#   +-------------------------+     +--------------+     +--------------+
#   | policies set/shown/del  |     | own policies |     | sees none of |
#   | nobody is refused       |     |              |     | sa-pa's      |
#   +-------------------------+     +--------------+     +--------------+
#   unshare -r -n (as nobody): a user namespace's own netns accepts changes
#
# Checks: set/show/del/flush round trip with exact values, per-family keys,
# policy strict (set, shown, refused on TCP, family version 2), media-any
# (set, shown, combined; version 3),
# JSON output, per-netns isolation, CAP_NET_ADMIN in the netns's user
# namespace (GENL_UNS_ADMIN_PERM) for changes and reads alike, strict validation of raw attributes with
# extended ACK messages, the bound of 256 policies, "module not loaded".
. "$(dirname "$0")/lib.sh"

CTL=$E2E_TOP/userspace/sipalgctl
cleanup() {
	ip netns del sa-pa 2>/dev/null || true
	ip netns del sa-pb 2>/dev/null || true
	[ -d /sys/module/sipalg ] && "$CTL" policy flush 2>/dev/null
	return 0
}
trap cleanup EXIT

# sipalgctl, recording stdout, stderr and the exit status
run() {
	set +e
	"$@" >"$T_LOGDIR/out" 2>"$T_LOGDIR/err"
	RC=$?
	set -e
	OUT=$(cat "$T_LOGDIR/out")
	ERR=$(cat "$T_LOGDIR/err")
	echo "\$ $* -> exit $RC"
	[ -z "$OUT" ] || echo "$OUT"
	[ -z "$ERR" ] || echo "stderr: $ERR"
}

# raw generic netlink: nlraw CMD [TYPE:FMT:VALUE...] [reserved=N]
# prints "errno N" and the extended ACK message (one line each);
# nlraw version prints the family's version
nlraw() {
	python3 - "$@" <<'PY'
import socket, struct, sys
NETLINK_GENERIC, SOL_NETLINK, NETLINK_EXT_ACK = 16, 270, 11
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
s.bind((0, 0))
s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)

def attr(t, data):
    n = 4 + len(data)
    return struct.pack("HH", n, t) + data + b"\0" * ((4 - n % 4) % 4)

def send(typ, cmd, attrs, flags=0x5, reserved=0):
    body = struct.pack("BBH", cmd, 1, reserved) + attrs
    s.send(struct.pack("IHHII", 16 + len(body), typ, flags, 1, 0) + body)
    replies = []
    while True:
        data = s.recv(65536)
        off = 0
        while off + 16 <= len(data):
            ln, t, fl, seq, pid = struct.unpack_from("IHHII", data, off)
            if t == 2:  # NLMSG_ERROR
                err = struct.unpack_from("i", data, off + 16)[0]
                inner = struct.unpack_from("I", data, off + 20)[0]
                a = off + 20 + (16 if fl & 0x100 else inner)
                msg = ""
                while a + 4 <= off + ln:
                    al, at = struct.unpack_from("HH", data, a)
                    if al < 4:
                        break
                    if at == 1:
                        msg = data[a + 4:a + al].rstrip(b"\0").decode()
                    a += (al + 3) & ~3
                return -err, msg, replies
            replies.append(data[off:off + ln])
            off += (ln + 3) & ~3

# resolve the family
err, msg, rep = send(0x10, 3, attr(2, b"sipalg\0"))
if err:
    print("errno", err); print("family lookup failed"); sys.exit(0)
fid = version = None
a = 20
r = rep[0]
while a + 4 <= len(r):
    al, at = struct.unpack_from("HH", r, a)
    if at == 1:
        fid = struct.unpack_from("H", r, a + 4)[0]
    if at == 3:  # CTRL_ATTR_VERSION
        version = struct.unpack_from("I", r, a + 4)[0]
    a += (al + 3) & ~3
if sys.argv[1] == "version":
    print(version); sys.exit(0)
cmd = int(sys.argv[1])
attrs = b""
reserved = 0
fmts = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q"}
for spec in sys.argv[2:]:
    if spec.startswith("reserved="):
        reserved = int(spec.split("=")[1]); continue
    t, f, v = spec.split(":")
    attrs += attr(int(t), struct.pack(fmts[f], int(v)))
err, msg, rep = send(fid, cmd, attrs, reserved=reserved)
print("errno", err)
print(msg)
PY
}

# attribute and command numbers from kmod/uapi/sipalg_nl.h
SET=1 GET=2 DEL=3
A_FAMILY=2 A_L4=3 A_PORT=4 A_POLICY=5 A_STATS=6

not_loaded_message() {
	e2e_module_unload
	run "$CTL" policy show
	[ "$RC" = 4 ]
	echo "$ERR" | grep -q "sipalg kernel module is not loaded"
	e2e_module_load
}

roundtrip() {
	"$CTL" policy flush
	"$CTL" policy set udp 5060 force-rport
	"$CTL" policy set tcp 5061 disable
	"$CTL" policy set udp 5080 force-rport,static-port
	"$CTL" -6 policy set udp 5060 static-port
	"$CTL" policy set udp 5090 default
	run "$CTL" policy show
	# sorted: udp before tcp, by port, family any before inet6
	cat >"$T_LOGDIR/want" <<-'W'
	proto port  family policy
	udp   5060  any    force-rport
	udp   5060  inet6  static-port
	udp   5080  any    force-rport,static-port
	udp   5090  any    default
	tcp   5061  any    disable
	W
	diff -u "$T_LOGDIR/want" "$T_LOGDIR/out"
	run "$CTL" -j policy show
	echo "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
want = [
 {"proto": "udp", "port": 5060, "family": "any", "policy": ["force-rport"]},
 {"proto": "udp", "port": 5060, "family": "inet6", "policy": ["static-port"]},
 {"proto": "udp", "port": 5080, "family": "any", "policy": ["force-rport", "static-port"]},
 {"proto": "udp", "port": 5090, "family": "any", "policy": ["default"]},
 {"proto": "tcp", "port": 5061, "family": "any", "policy": ["disable"]},
]
assert d == want, d'
	# replace, then delete one key: the other family's entry stays
	"$CTL" policy set udp 5060 disable
	"$CTL" policy del udp 5080
	run "$CTL" policy show udp 5060
	printf 'proto port  family policy\nudp   5060  any    disable\nudp   5060  inet6  static-port\n' >"$T_LOGDIR/want"
	diff -u "$T_LOGDIR/want" "$T_LOGDIR/out"
	run "$CTL" policy del udp 5080
	[ "$RC" = 1 ]
	echo "$ERR" | grep -q "no policy for this port"
	"$CTL" policy flush
	run "$CTL" policy show
	[ "$OUT" = "proto port  family policy" ]
}

json_wellformed() {
	"$CTL" policy set udp 5060 force-rport
	"$CTL" -j policy show | python3 -m json.tool >/dev/null
	"$CTL" -j -p policy show | python3 -m json.tool >/dev/null
	"$CTL" -j stats | python3 -m json.tool >/dev/null
	"$CTL" -j stats udp 5060 | python3 -m json.tool >/dev/null
	"$CTL" -j flows | python3 -m json.tool >/dev/null
	# the totals count the policies of this namespace
	"$CTL" -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["total"]["policies"] == 1, d'
	"$CTL" policy flush
}

netns_isolation() {
	ip netns add sa-pa
	ip netns add sa-pb
	ip netns exec sa-pa "$CTL" policy set udp 5060 disable
	ip netns exec sa-pa "$CTL" policy set tcp 5060 force-rport
	"$CTL" policy set udp 7000 static-port
	[ "$(ip netns exec sa-pa "$CTL" -j policy show)" = '[{"proto":"udp","port":5060,"family":"any","policy":["disable"]},{"proto":"tcp","port":5060,"family":"any","policy":["force-rport"]}]' ]
	[ "$(ip netns exec sa-pb "$CTL" -j policy show)" = '[]' ]
	[ "$("$CTL" -j policy show)" = '[{"proto":"udp","port":7000,"family":"any","policy":["static-port"]}]' ]
	# deleting in one namespace leaves the others alone
	ip netns exec sa-pb "$CTL" policy flush
	[ "$(ip netns exec sa-pa "$CTL" -j policy show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ]
	# a namespace's policies go with it
	ip netns del sa-pa
	ip netns add sa-pa
	[ "$(ip netns exec sa-pa "$CTL" -j policy show)" = '[]' ]
	"$CTL" policy flush
}

unprivileged_refused() {
	"$CTL" policy set udp 5060 force-rport
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" policy set udp 5060 disable
	[ "$RC" = 5 ]
	echo "$ERR" | grep -q "permission denied"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" policy del udp 5060
	[ "$RC" = 5 ]
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" policy flush
	[ "$RC" = 5 ]
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" stats reset
	[ "$RC" = 5 ]
	# reading needs CAP_NET_ADMIN too (as ctnetlink's), exit 5
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" -j policy show
	[ "$RC" = 5 ]
	[ -z "$OUT" ]
	echo "$ERR" | grep -q "permission denied: needs CAP_NET_ADMIN"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" stats
	[ "$RC" = 5 ]
	echo "$ERR" | grep -q "permission denied: needs CAP_NET_ADMIN"
	# and nothing changed: root reads the policy as it was
	[ "$("$CTL" -j policy show)" = '[{"proto":"udp","port":5060,"family":"any","policy":["force-rport"]}]' ]
	"$CTL" policy flush
}

# CAP_NET_ADMIN counts in the user namespace that owns the netns: an
# unprivileged user may change its own netns's policies, not the host's
userns_own_netns() {
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups unshare -r -n true 2>/dev/null; then
		echo "unprivileged user namespaces are disabled here"
		return 1
	fi
	run setpriv --reuid=65534 --regid=65534 --clear-groups unshare -r -n \
		sh -c "'$CTL' policy set udp 5060 disable && '$CTL' -j policy show"
	[ "$RC" = 0 ]
	[ "$OUT" = '[{"proto":"udp","port":5060,"family":"any","policy":["disable"]}]' ]
	[ "$("$CTL" -j policy show)" = '[]' ]
	# ... but not the initial namespace, even as root of its own userns
	run setpriv --reuid=65534 --regid=65534 --clear-groups unshare -r \
		"$CTL" policy set udp 5060 disable
	[ "$RC" = 5 ]
	[ "$("$CTL" -j policy show)" = '[]' ]
}

# strict validation: each bad request fails with the given errno (EINVAL
# 22, ERANGE 34 for values outside a policy range, ENOENT 2) and an
# extended ACK message (the given text, or any); nothing gets stored
expect_refused() {
	local want_errno=$1 want_msg=$2
	shift 2
	local out
	out=$(nlraw "$@")
	echo "nlraw $* -> $out"
	[ "$(echo "$out" | sed -n 1p)" = "errno $want_errno" ]
	if [ -n "$want_msg" ]; then
		echo "$out" | sed -n 2p | grep -q -- "$want_msg"
	else
		[ -n "$(echo "$out" | sed -n 2p)" ]
	fi
}

bad_values_refused() {
	"$CTL" policy flush
	# a good request works, so the helper itself is sound
	[ "$(nlraw $SET $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:1 | head -n 1)" = "errno 0" ]
	"$CTL" policy flush
	expect_refused 34 "" $SET $A_L4:u8:17 $A_PORT:u16:0 $A_POLICY:u32:1
	expect_refused 34 "" $SET $A_L4:u8:1 $A_PORT:u16:5060 $A_POLICY:u32:1
	expect_refused 22 "must be UDP (17) or TCP (6)" $SET $A_L4:u8:10 $A_PORT:u16:5060 $A_POLICY:u32:1
	expect_refused 22 "" $SET $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:32
	expect_refused 22 "disable cannot be combined" $SET $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:5
	expect_refused 22 "disable cannot be combined" $SET $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:12
	expect_refused 22 "strict applies to UDP ports only" $SET $A_L4:u8:6 $A_PORT:u16:5060 $A_POLICY:u32:8
	expect_refused 22 "address family must be" $SET $A_FAMILY:u8:7 $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:1
	expect_refused 34 "" $SET $A_FAMILY:u8:11 $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:1
	expect_refused 22 "missing port" $SET $A_L4:u8:17 $A_POLICY:u32:1
	expect_refused 22 "missing L4 protocol" $SET $A_PORT:u16:5060 $A_POLICY:u32:1
	expect_refused 22 "missing policy" $SET $A_L4:u8:17 $A_PORT:u16:5060
	# wrong sizes: a u32 where a u16 belongs
	expect_refused 22 "" $SET $A_L4:u8:17 $A_PORT:u32:5060 $A_POLICY:u32:1
	# reply-only and unknown attributes
	expect_refused 22 "read-only" $SET $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:1 $A_STATS:u32:0
	expect_refused 22 "" $SET $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:1 40:u32:0
	# reserved header bits
	expect_refused 22 "" $SET $A_L4:u8:17 $A_PORT:u16:5060 $A_POLICY:u32:1 reserved=1
	# lookups of absent keys
	expect_refused 2 "no policy for this port" $GET $A_L4:u8:17 $A_PORT:u16:5060
	expect_refused 2 "no policy for this port" $DEL $A_L4:u8:17 $A_PORT:u16:5060
	# nothing was stored by any of the refused requests
	[ "$("$CTL" -j policy show)" = '[]' ]
}

# policy strict (netlink version 2; the module is version 3, media-any):
# set, shown in text and JSON, combined with the others, refused on TCP
# ports by sipalgctl and by the module
strict_set_show() {
	"$CTL" policy flush
	[ "$(nlraw version)" = 4 ]
	"$CTL" policy set udp 5060 strict
	"$CTL" policy set udp 5080 force-rport strict
	"$CTL" -4 policy set udp 5090 static-port,strict
	run "$CTL" policy show
	cat >"$T_LOGDIR/want" <<-'W'
	proto port  family policy
	udp   5060  any    strict
	udp   5080  any    force-rport,strict
	udp   5090  inet   static-port,strict
	W
	diff -u "$T_LOGDIR/want" "$T_LOGDIR/out"
	run "$CTL" -j policy show
	[ "$OUT" = '[{"proto":"udp","port":5060,"family":"any","policy":["strict"]},{"proto":"udp","port":5080,"family":"any","policy":["force-rport","strict"]},{"proto":"udp","port":5090,"family":"inet","policy":["static-port","strict"]}]' ]
	# the raw flag value is SIPALG_POLICY_STRICT (8), alone or combined
	[ "$(nlraw $SET $A_L4:u8:17 $A_PORT:u16:5070 $A_POLICY:u32:9 | head -n 1)" = "errno 0" ]
	run "$CTL" -j policy show udp 5070
	[ "$OUT" = '[{"proto":"udp","port":5070,"family":"any","policy":["force-rport","strict"]}]' ]
	# strict is for UDP: sipalgctl says so (usage error), and so does the
	# module to a raw request (extended ACK); nothing stored
	run "$CTL" policy set tcp 5060 strict
	[ "$RC" = 2 ]
	echo "$ERR" | grep -q "strict applies to UDP ports only"
	run "$CTL" policy set udp 5060 disable,strict
	[ "$RC" = 2 ]
	echo "$ERR" | grep -q "disable cannot be combined"
	[ "$("$CTL" -j policy show tcp)" = '[]' ]
	# replacing strict by another policy drops the flag
	"$CTL" policy set udp 5060 force-rport
	run "$CTL" policy show udp 5060
	printf 'proto port  family policy\nudp   5060  any    force-rport\n' >"$T_LOGDIR/want"
	diff -u "$T_LOGDIR/want" "$T_LOGDIR/out"
	"$CTL" policy flush
}

# policy media-any (netlink version 3): set, shown in text and JSON,
# combined with the others on UDP and TCP, the raw flag value 16
media_any_set_show() {
	"$CTL" policy flush
	"$CTL" policy set udp 5060 media-any
	"$CTL" policy set tcp 5060 force-rport,media-any
	"$CTL" -6 policy set udp 5080 strict media-any
	run "$CTL" policy show
	cat >"$T_LOGDIR/want" <<-'W'
	proto port  family policy
	udp   5060  any    media-any
	udp   5080  inet6  strict,media-any
	tcp   5060  any    force-rport,media-any
	W
	diff -u "$T_LOGDIR/want" "$T_LOGDIR/out"
	run "$CTL" -j policy show udp 5080
	[ "$OUT" = '[{"proto":"udp","port":5080,"family":"inet6","policy":["strict","media-any"]}]' ]
	# the raw flag value is SIPALG_POLICY_MEDIA_ANY (16)
	[ "$(nlraw $SET $A_L4:u8:17 $A_PORT:u16:5070 $A_POLICY:u32:16 | head -n 1)" = "errno 0" ]
	run "$CTL" -j policy show udp 5070
	[ "$OUT" = '[{"proto":"udp","port":5070,"family":"any","policy":["media-any"]}]' ]
	run "$CTL" policy set udp 5060 disable,media-any
	[ "$RC" = 2 ]
	echo "$ERR" | grep -q "disable cannot be combined"
	# the counter is there, zero without calls
	[ "$("$CTL" -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["pinholes_any_source"])')" = 0 ]
	"$CTL" policy flush
}

table_bounded() {
	local p
	"$CTL" policy flush
	for p in $(seq 10001 10256); do
		"$CTL" policy set udp "$p" force-rport
	done
	[ "$("$CTL" -j policy show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 256 ]
	run "$CTL" policy set udp 20000 force-rport
	[ "$RC" = 1 ]
	echo "$ERR" | grep -q "policy table full: 256 policies per network namespace"
	# replacing an existing key still works when full
	"$CTL" policy set udp 10001 disable
	"$CTL" policy show udp 10001 | grep -q "udp   10001 any    disable"
	"$CTL" policy del udp 10002
	"$CTL" policy set udp 20000 force-rport
	"$CTL" policy flush
	[ "$("$CTL" -j policy show)" = '[]' ]
}

if [ ! -x "$CTL" ]; then
	echo "FAIL sipalgctl-built: $CTL missing: build it on the host first (make ctl)"
	e2e_finish
	exit 1
fi
e2e_module_load
e2e_test policy-module-not-loaded-message not_loaded_message
e2e_test policy-set-show-del-roundtrip roundtrip
e2e_test policy-json-wellformed json_wellformed
e2e_test policy-netns-isolation netns_isolation
e2e_test policy-unprivileged-refused unprivileged_refused
e2e_test policy-userns-owns-its-netns userns_own_netns
e2e_test policy-bad-attributes-refused bad_values_refused
e2e_test policy-strict-set-show strict_set_show
e2e_test policy-media-any-set-show media_any_set_show
e2e_test policy-table-bounded table_bounded
e2e_finish
