#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# sipalgctl without a kernel: argument errors and exit codes, --help of every
# command, rewrite of small messages against expectations worked out by hand
# from the rules in kmod/core/sipcore.h, JSON well-formedness, man page and
# bash completion. Prints PASS/FAIL/SKIP lines and "N passed, M failed, K
# skipped".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib.sh"
CTL=${SIPALGCTL:-$top/userspace/sipalgctl}
W=$(mktemp -d /tmp/sipalg-ctl.XXXXXX)
trap 'rm -rf "$W"' EXIT

# LF text on stdin -> CRLF lines in file $1
crlf() { sed 's/$/\r/' >"$1"; }

# expect_rc WANT_RC STDERR_REGEX CMD...: exit status and a stderr message
expect_rc() {
	local want=$1 re=$2 rc
	shift 2
	"$@" >"$W/o" 2>"$W/e"
	rc=$?
	echo "\$ $* -> $rc"
	cat "$W/e"
	[ "$rc" = "$want" ] || { echo "want exit $want"; return 1; }
	[ -z "$re" ] || grep -E -q -- "$re" "$W/e" || { echo "stderr lacks /$re/"; return 1; }
}

# ---------------------------------------------------------------- usage errors
t_run usage-no-command expect_rc 2 "Usage: sipalgctl" "$CTL"
t_run usage-unknown-command expect_rc 2 'unknown command "frob"' "$CTL" frob
t_run usage-unknown-option expect_rc 2 'unknown option "--frob"' "$CTL" --frob policy show
t_run usage-policy-no-verb expect_rc 2 "needs a verb" "$CTL" policy
t_run usage-policy-unknown-verb expect_rc 2 'unknown verb "frob"' "$CTL" policy frob
t_run usage-policy-set-no-key expect_rc 2 "needs a protocol \(udp or tcp\) and a port" "$CTL" policy set udp
t_run usage-policy-set-no-policy expect_rc 2 "needs a policy after the port" "$CTL" policy set udp 5060
t_run usage-unknown-policy expect_rc 2 'unknown policy "bogus": expected default, force-rport, static-port, strict, media-any or disable' "$CTL" policy set udp 5060 bogus
t_run usage-unknown-policy-in-list expect_rc 2 'unknown policy "forcerport"' "$CTL" policy set udp 5060 static-port,forcerport
t_run usage-unknown-proto expect_rc 2 'unknown protocol "sctp": expected udp or tcp' "$CTL" policy set sctp 5060 disable
t_run usage-port-zero expect_rc 2 "port out of range: 0 \(expected 1 to 65535\)" "$CTL" policy set udp 0 disable
t_run usage-port-too-big expect_rc 2 "port out of range: 65536" "$CTL" policy set udp 65536 disable
t_run usage-port-huge expect_rc 2 "port out of range: 99999999999999999999" "$CTL" policy set udp 99999999999999999999 disable
t_run usage-port-not-number expect_rc 2 'bad port "50x60"' "$CTL" policy del tcp 50x60
t_run usage-port-negative expect_rc 2 'bad port "-1"' "$CTL" policy del tcp -1
t_run usage-disable-combined expect_rc 2 "disable cannot be combined" "$CTL" policy set udp 5060 disable force-rport
t_run usage-default-combined expect_rc 2 "default cannot be combined" "$CTL" policy set udp 5060 default,static-port
# an empty name in a policy list is no policy (not "default"): refused
t_run usage-policy-list-comma expect_rc 2 'empty policy name in ","' "$CTL" policy set udp 5060 ,
t_run usage-policy-list-trailing expect_rc 2 'empty policy name in "force-rport,"' "$CTL" policy set udp 5060 force-rport,
t_run usage-policy-list-leading expect_rc 2 'empty policy name in ",strict"' "$CTL" policy set udp 5060 ,strict
t_run usage-policy-list-double expect_rc 2 'empty policy name in "force-rport,,strict"' "$CTL" policy set udp 5060 force-rport,,strict
t_run usage-policy-list-empty-word expect_rc 2 'empty policy name in ""' "$CTL" policy set udp 5060 force-rport ""
t_run usage-rewrite-policy-comma expect_rc 2 'empty policy name in ","' "$CTL" rewrite --policy , --snat 192.168.1.2:5060=198.51.100.1:40000 --peer 198.51.100.2:5060 /dev/null
# strict: UDP only (a dropped TCP segment is retransmitted), never with
# disable or default; refused before talking to the kernel
t_run usage-strict-tcp expect_rc 2 "strict applies to UDP ports only" "$CTL" policy set tcp 5060 strict
t_run usage-strict-tcp-family expect_rc 2 "strict applies to UDP ports only" "$CTL" -6 policy set tcp 5060 force-rport,strict
t_run usage-strict-disable expect_rc 2 "disable cannot be combined" "$CTL" policy set udp 5060 disable strict
t_run usage-strict-default expect_rc 2 "default cannot be combined" "$CTL" policy set udp 5060 default,strict
t_run usage-media-any-disable expect_rc 2 "disable cannot be combined" "$CTL" policy set udp 5060 disable,media-any
t_run usage-strict-misspelt expect_rc 2 'unknown policy "strikt"' "$CTL" policy set udp 5060 force-rport,strikt
t_run usage-del-extra-arg expect_rc 2 'unexpected argument "x"' "$CTL" policy del udp 5060 x
t_run usage-flush-extra-arg expect_rc 2 'unexpected argument "all"' "$CTL" policy flush all
t_run usage-stats-proto-without-port expect_rc 2 "a protocol needs a port" "$CTL" stats udp
t_run usage-stats-family expect_rc 2 "counters are per port for both address families" "$CTL" -4 stats
t_run usage-flows-extra-arg expect_rc 2 'unexpected argument "x"' "$CTL" flows x
t_run usage-monitor-extra-arg expect_rc 2 'monitor: unexpected argument "x"' "$CTL" monitor x
t_run usage-monitor-port-missing expect_rc 2 'monitor: --port needs a value' "$CTL" monitor --port
t_run usage-monitor-port-zero expect_rc 2 'port out of range: 0 \(expected 1 to 65535\)' "$CTL" monitor --port 0
t_run usage-monitor-port-bad expect_rc 2 'bad port "sip"' "$CTL" monitor --port sip
t_run usage-monitor-count-zero expect_rc 2 'bad count "0": expected a number of events, 1 or more' "$CTL" monitor --count 0
t_run usage-monitor-count-negative expect_rc 2 'bad count "-3"' "$CTL" -j monitor --count -3
t_run usage-monitor-count-junk expect_rc 2 'bad count "5x"' "$CTL" monitor --count 5x
t_run usage-monitor-call-id-missing expect_rc 2 'monitor: --call-id needs a value' "$CTL" monitor --port 5060 --call-id
t_run usage-monitor-call-id-empty expect_rc 2 'monitor: --call-id needs a non-empty Call-ID' "$CTL" monitor --call-id ""
t_run usage-monitor-family expect_rc 2 'monitor: -4/-6 do not apply' "$CTL" -6 monitor
t_run usage-calls-extra-arg expect_rc 2 'calls: unexpected argument "x"' "$CTL" calls x
t_run usage-calls-family expect_rc 2 'calls: -4/-6 do not apply' "$CTL" -4 calls
t_run usage-registrations-extra-arg expect_rc 2 'registrations: unexpected argument "all"' "$CTL" -j registrations all
t_run usage-registrations-family expect_rc 2 'registrations: -4/-6 do not apply' "$CTL" -6 registrations
t_run usage-monitor-hint expect_rc 2 "Try 'sipalgctl monitor --help'" "$CTL" monitor --count x
# global options after the command: the same checks as before it, and an
# option no command knows is named as an option
t_run usage-after-monitor-family expect_rc 2 'monitor: -4/-6 do not apply' "$CTL" monitor --count 1 -4
t_run usage-after-calls-family expect_rc 2 'calls: -4/-6 do not apply' "$CTL" calls -4
t_run usage-after-registrations-family expect_rc 2 'registrations: -4/-6 do not apply' "$CTL" registrations -j -6
t_run usage-after-stats-family expect_rc 2 "counters are per port for both address families" "$CTL" stats -6
t_run usage-after-monitor-count-negative expect_rc 2 'bad count "-3"' "$CTL" monitor -j --count -3
t_run usage-after-monitor-unknown-option expect_rc 2 'monitor: unknown option "--frob"' "$CTL" monitor -j --frob
t_run usage-after-calls-unknown-option expect_rc 2 'calls: unknown option "-x"' "$CTL" calls -x
t_run usage-after-flows-unknown-option expect_rc 2 'flows: unknown option "--jsn"' "$CTL" flows --jsn
t_run usage-after-stats-unknown-option expect_rc 2 'stats: unknown option "-J"' "$CTL" stats show -J
t_run usage-after-policy-unknown-option expect_rc 2 'policy: unknown option "--pretty=1"' "$CTL" policy show --pretty=1
t_run usage-after-extra-arg-still-refused expect_rc 2 'flows: unexpected argument "x"' "$CTL" flows -j x
# a negative number is still a bad port, not an option
t_run usage-after-port-negative expect_rc 2 'bad port "-1"' "$CTL" -j policy show udp -1
# usage errors are caught before talking to the kernel: same answer with
# or without the module, and a hint to the command's help
t_run usage-hint-to-help expect_rc 2 "Try 'sipalgctl policy set --help'" "$CTL" policy set udp 0 disable

# ------------------------------------------------------ module not loaded
if [ -d /sys/module/sipalg ]; then
	t_skip module-not-loaded-message "the sipalg module is loaded on this machine"
else
	t_run module-not-loaded-show expect_rc 4 "sipalg kernel module is not loaded.*modprobe sipalg" "$CTL" policy show
	t_run module-not-loaded-set expect_rc 4 "sipalg kernel module is not loaded" "$CTL" policy set udp 5060 force-rport
	t_run module-not-loaded-set-strict expect_rc 4 "sipalg kernel module is not loaded" "$CTL" policy set udp 5060 force-rport,strict
	t_run module-not-loaded-set-media-any expect_rc 4 "sipalg kernel module is not loaded" "$CTL" policy set udp 5060 media-any,force-rport
	t_run module-not-loaded-stats expect_rc 4 "sipalg kernel module is not loaded" "$CTL" -j stats
	t_run module-not-loaded-calls expect_rc 4 "sipalg kernel module is not loaded" "$CTL" -j calls
	t_run module-not-loaded-registrations expect_rc 4 "sipalg kernel module is not loaded" "$CTL" registrations
	t_run module-not-loaded-monitor expect_rc 4 "sipalg kernel module is not loaded" "$CTL" -j monitor --count 1
	# issue 14's spelling: -j after the command
	t_run module-not-loaded-monitor-json-after expect_rc 4 "sipalg kernel module is not loaded" "$CTL" monitor -j --count 1
	t_run module-not-loaded-calls-json-after expect_rc 4 "sipalg kernel module is not loaded" "$CTL" calls -j
fi

# ------------------------------------------------------------------- --help
help_ok() {
	"$@" >"$W/h" 2>&1 || { echo "exit $?"; cat "$W/h"; return 1; }
	grep -q "^Usage: sipalgctl" "$W/h" || { cat "$W/h"; return 1; }
}
t_run help-top help_ok "$CTL" --help
t_run help-top-word help_ok "$CTL" help
t_run help-policy help_ok "$CTL" policy --help
t_run help-policy-set help_ok "$CTL" policy set --help
t_run help-policy-del help_ok "$CTL" policy del --help
t_run help-policy-show help_ok "$CTL" policy show --help
t_run help-policy-flush help_ok "$CTL" policy flush --help
t_run help-stats help_ok "$CTL" stats --help
t_run help-stats-reset help_ok "$CTL" stats reset --help
t_run help-flows help_ok "$CTL" flows --help
t_run help-rewrite help_ok "$CTL" rewrite --help
t_run help-monitor-after-json help_ok "$CTL" monitor -j --help
t_run help-calls-after-json help_ok "$CTL" calls -j --help
t_run help-monitor help_ok "$CTL" monitor --help
t_run help-calls help_ok "$CTL" calls --help
t_run help-registrations help_ok "$CTL" registrations --help
help_lists_exit_codes() {
	"$CTL" --help | grep -q "4 the sipalg module is not" &&
		"$CTL" --help | grep -q "5 permission denied" &&
		"$CTL" rewrite --help | grep -q "3 the ALG would drop it"
}
t_run help-exit-codes help_lists_exit_codes
help_names_strict() {
	"$CTL" policy --help | grep -q "^  strict  .*drop what the ALG refuses" &&
		"$CTL" rewrite --help | grep -q "strict, media-any or"
}
t_run help-policy-strict help_names_strict
help_names_media_any() {
	"$CTL" policy --help | grep -q "^  media-any  .*media pinholes .* admit any source"
}
t_run help-policy-media-any help_names_media_any

# ------------------------------------------------------------------ rewrite
# rw NAME ARGS...: rewrite $W/NAME.in, compare stdout with $W/NAME.want byte
# for byte, exit 0
rw() {
	local name=$1 rc
	shift
	"$CTL" rewrite "$@" --explain "$W/$name.in" >"$W/$name.got" 2>"$W/$name.explain"
	rc=$?
	cat "$W/$name.explain"
	[ "$rc" = 0 ] || { echo "exit $rc"; return 1; }
	if ! cmp -s "$W/$name.want" "$W/$name.got"; then
		diff -u <(cat -A "$W/$name.want") <(cat -A "$W/$name.got")
		return 1
	fi
}

# the Content-Length of an expected message must match its own body: guards
# the hand-written expectations themselves
clen_consistent() {
	python3 - "$1" <<'PY'
import re, sys
m = open(sys.argv[1], "rb").read()
head, body = m.split(b"\r\n\r\n", 1)
cl = int(re.search(rb"\r\nContent-Length: *(\d+)", head).group(1))
assert cl == len(body), (sys.argv[1], cl, len(body))
PY
}

SNAT=(--snat 10.0.0.2:5060=198.51.100.1:40000 --peer 203.0.113.10:5060)

# REGISTER leaving the NAT: top Via sent-by and Contact match the client's
# private endpoint -> the public one. Request-URI, From, To name the
# registrar (identity mapping), Call-ID is never touched.
crlf "$W/reg.in" <<'M'
REGISTER sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1
From: <sip:100@203.0.113.10>;tag=1
To: <sip:100@203.0.113.10>
Call-ID: a@10.0.0.2
CSeq: 1 REGISTER
Contact: <sip:100@10.0.0.2:5060>
Content-Length: 0

M
crlf "$W/reg.want" <<'M'
REGISTER sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1
From: <sip:100@203.0.113.10>;tag=1
To: <sip:100@203.0.113.10>
Call-ID: a@10.0.0.2
CSeq: 1 REGISTER
Contact: <sip:100@198.51.100.1:40000>
Content-Length: 0

M
t_run rewrite-register-snat rw reg "${SNAT[@]}"

# force-rport: ";rport" appended at the end of the top via-parm
cp "$W/reg.in" "$W/regr.in"
sed 's/branch=z9hG4bK1$/branch=z9hG4bK1;rport/' <<'M' | crlf "$W/regr.want"
REGISTER sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1
From: <sip:100@203.0.113.10>;tag=1
To: <sip:100@203.0.113.10>
Call-ID: a@10.0.0.2
CSeq: 1 REGISTER
Contact: <sip:100@198.51.100.1:40000>
Content-Length: 0

M
t_run rewrite-register-force-rport rw regr "${SNAT[@]}" --policy force-rport

# a Via that already has rport gets no second one
crlf "$W/hasr.in" <<'M'
OPTIONS sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.2:5060;rport;branch=z9hG4bK5
From: <sip:100@203.0.113.10>;tag=5
To: <sip:203.0.113.10>
Call-ID: o5
CSeq: 5 OPTIONS
Content-Length: 0

M
crlf "$W/hasr.want" <<'M'
OPTIONS sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.1:40000;rport;branch=z9hG4bK5
From: <sip:100@203.0.113.10>;tag=5
To: <sip:203.0.113.10>
Call-ID: o5
CSeq: 5 OPTIONS
Content-Length: 0

M
t_run rewrite-force-rport-already-there rw hasr "${SNAT[@]}" --policy force-rport

# a phone without rport that sends from 49152 but writes 5060 in its Via
# (Cisco 79xx): the Via names its IP with another port, so Via rewriting
# alone leaves it (the server would answer to 10.0.0.2:5060, unroutable);
# force-rport still adds ;rport, so the server answers to the NAT's port
crlf "$W/cisco.in" <<'M'
REGISTER sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK7
From: <sip:200@203.0.113.10>;tag=7
To: <sip:200@203.0.113.10>
Call-ID: r7
CSeq: 7 REGISTER
Contact: <sip:200@10.0.0.2:5060>
Content-Length: 0

M
cp "$W/cisco.in" "$W/cisco.want"
cisco_plain() {
	rw cisco --snat 10.0.0.2:49152=198.51.100.1:40000 --peer 203.0.113.10:5060 &&
		grep -q "top Via has the mapped IP with another port: left alone" "$W/cisco.explain"
}
t_run rewrite-via-port-differs-left-alone cisco_plain
cp "$W/cisco.in" "$W/ciscor.in"
sed 's/branch=z9hG4bK7\r$/branch=z9hG4bK7;rport\r/' "$W/cisco.in" >"$W/ciscor.want"
t_run rewrite-via-port-differs-force-rport rw ciscor --snat 10.0.0.2:49152=198.51.100.1:40000 --peer 203.0.113.10:5060 --policy force-rport

# the registrar's 200 OK coming back (reply direction): sent-by, received=,
# rport= and the echoed Contact binding are mapped back to the client
crlf "$W/ok.in" <<'M'
SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK1;received=198.51.100.1;rport=40000
From: <sip:100@203.0.113.10>;tag=1
To: <sip:100@203.0.113.10>;tag=s1
Call-ID: a@10.0.0.2
CSeq: 1 REGISTER
Contact: <sip:100@198.51.100.1:40000>;expires=3600
Content-Length: 0

M
crlf "$W/ok.want" <<'M'
SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1;received=10.0.0.2;rport=5060
From: <sip:100@203.0.113.10>;tag=1
To: <sip:100@203.0.113.10>;tag=s1
Call-ID: a@10.0.0.2
CSeq: 1 REGISTER
Contact: <sip:100@10.0.0.2:5060>;expires=3600
Content-Length: 0

M
t_run rewrite-200-reply-direction rw ok "${SNAT[@]}" --reply

# force-rport does not touch responses
crlf "$W/okr.in" <<'M'
SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK6
From: <sip:100@203.0.113.10>;tag=6
To: <sip:203.0.113.10>;tag=s6
Call-ID: o6
CSeq: 6 OPTIONS
Content-Length: 0

M
crlf "$W/okr.want" <<'M'
SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK6
From: <sip:100@203.0.113.10>;tag=6
To: <sip:203.0.113.10>;tag=s6
Call-ID: o6
CSeq: 6 OPTIONS
Content-Length: 0

M
t_run rewrite-force-rport-not-on-responses rw okr "${SNAT[@]}" --reply --policy force-rport

# INVITE with SDP: o= and c= carry the private IP -> public IP (4 bytes
# longer each), m= port kept offline, Content-Length 85 -> 93
crlf "$W/inv.in" <<'M'
INVITE sip:bob@203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK2
From: <sip:alice@203.0.113.10>;tag=a1
To: <sip:bob@203.0.113.10>
Call-ID: c2@10.0.0.2
CSeq: 1 INVITE
Contact: <sip:alice@10.0.0.2:5060>
Content-Type: application/sdp
Content-Length: 85

v=0
o=- 1 1 IN IP4 10.0.0.2
s=-
c=IN IP4 10.0.0.2
t=0 0
m=audio 4000 RTP/AVP 0
M
crlf "$W/inv.want" <<'M'
INVITE sip:bob@203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.1:40000;branch=z9hG4bK2
From: <sip:alice@203.0.113.10>;tag=a1
To: <sip:bob@203.0.113.10>
Call-ID: c2@10.0.0.2
CSeq: 1 INVITE
Contact: <sip:alice@198.51.100.1:40000>
Content-Type: application/sdp
Content-Length: 93

v=0
o=- 1 1 IN IP4 198.51.100.1
s=-
c=IN IP4 198.51.100.1
t=0 0
m=audio 4000 RTP/AVP 0
M
t_run rewrite-invite-clen-in clen_consistent "$W/inv.in"
t_run rewrite-invite-clen-want clen_consistent "$W/inv.want"
inv_sdp() {
	rw inv "${SNAT[@]}" && grep -q "media ports kept" "$W/inv.explain"
}
t_run rewrite-invite-sdp inv_sdp

# a port-forwarded server (--dnat): the INVITE to the public address gets
# the server's private address in the Request-URI and To (no port written:
# 5060 is meant, the same port, so none is inserted)
DNAT=(--dnat 198.51.100.1:5060=10.0.0.5:5060 --peer 203.0.113.7:5060)
crlf "$W/dn.in" <<'M'
INVITE sip:bob@198.51.100.1 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK3
From: <sip:carol@203.0.113.7>;tag=c1
To: <sip:bob@198.51.100.1>
Call-ID: d3@203.0.113.7
CSeq: 1 INVITE
Contact: <sip:carol@203.0.113.7>
Content-Length: 0

M
crlf "$W/dn.want" <<'M'
INVITE sip:bob@10.0.0.5 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK3
From: <sip:carol@203.0.113.7>;tag=c1
To: <sip:bob@10.0.0.5>
Call-ID: d3@203.0.113.7
CSeq: 1 INVITE
Contact: <sip:carol@203.0.113.7>
Content-Length: 0

M
t_run rewrite-dnat-request rw dn "${DNAT[@]}"

# --explain names the line of each edit: "edit N, line L (WHAT): ...",
# L counting LF-ended lines of the input from 1, WHAT the start line, the
# header's name as the parser reads it (up to the colon, without the white
# space before it; a folded line is its header's), or body. Lines end at
# LF, as the parser reads them: a bare CR inside a line does not start one.
# explain_has NAME RE ARGS...: rewrite ARGS --explain NAME.in exits 0 and
# its standard error has a line matching RE
explain_has() {
	local name=$1 re=$2
	shift 2
	"$CTL" rewrite "$@" --explain "$W/$name.in" >/dev/null 2>"$W/$name.explain" ||
		{ echo "exit $?"; cat "$W/$name.explain"; return 1; }
	cat "$W/$name.explain"
	grep -E -q -- "$re" "$W/$name.explain" || { echo "no line /$re/"; return 1; }
}
t_run explain-line-header explain_has reg '^  edit [0-9]+, line 2 \(Via\): ' "${SNAT[@]}"
t_run explain-line-header-2 explain_has reg '^  edit [0-9]+, line 7 \(Contact\): ' "${SNAT[@]}"
t_run explain-line-start explain_has dn '^  edit [0-9]+, line 1 \(start line\): ' "${DNAT[@]}"
t_run explain-line-body explain_has inv '^  edit [0-9]+, line 14 \(body\): ' "${SNAT[@]}"
# white space before the colon is no part of the name
sed 's/^Via: /Via : /' "$W/reg.in" >"$W/xsp.in"
t_run explain-line-space-before-colon explain_has xsp '^  edit [0-9]+, line 2 \(Via\): ' "${SNAT[@]}"
# CRLFs before the start line (RFC 3261 7.5): the start line is line 3
{ printf '\r\n\r\n'; cat "$W/dn.in"; } >"$W/xlead.in"
t_run explain-line-start-after-crlf explain_has xlead '^  edit [0-9]+, line 3 \(start line\): ' "${DNAT[@]}"
# a bare CR as the white space before an address: the line is still Via's
sed 's|^Via: SIP/2.0/UDP 10|Via: SIP/2.0/UDP\r10|' "$W/reg.in" >"$W/xcr.in"
t_run explain-line-bare-cr explain_has xcr '^  edit [0-9]+, line 2 \(Via\): ' "${SNAT[@]}"
# a folded Contact: the edit on its second line is the Contact's
sed 's|^Contact: <sip:100@10.0.0.2:5060>|Contact: <sip:a@203.0.113.10>,\r\n <sip:100@10.0.0.2:5060>|' "$W/reg.in" >"$W/xfold.in"
t_run explain-line-folded explain_has xfold '^  edit [0-9]+, line 8 \(Contact\): ' "${SNAT[@]}"
# no CRLF after the last body line, which holds an edit: line 16, body
python3 - "$W/xeof.in" <<'PY'
import sys
body = b"v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.2"
head = (b"INVITE sip:bob@203.0.113.10 SIP/2.0\r\n"
        b"Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK2\r\n"
        b"From: <sip:alice@203.0.113.10>;tag=a1\r\n"
        b"To: <sip:bob@203.0.113.10>\r\n"
        b"Call-ID: c2@10.0.0.2\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Contact: <sip:alice@10.0.0.2:5060>\r\n"
        b"Content-Type: application/sdp\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body))
open(sys.argv[1], "wb").write(head + body)
PY
t_run explain-line-body-no-final-crlf explain_has xeof '^  edit [0-9]+, line 16 \(body\): ' "${SNAT[@]}"
# and the server's answer going out: its Contact and To name it privately
crlf "$W/dnr.in" <<'M'
SIP/2.0 200 OK
Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK3
From: <sip:carol@203.0.113.7>;tag=c1
To: <sip:bob@10.0.0.5>;tag=b1
Call-ID: d3@203.0.113.7
CSeq: 1 INVITE
Contact: <sip:bob@10.0.0.5:5060>
Content-Length: 0

M
crlf "$W/dnr.want" <<'M'
SIP/2.0 200 OK
Via: SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK3
From: <sip:carol@203.0.113.7>;tag=c1
To: <sip:bob@198.51.100.1>;tag=b1
Call-ID: d3@203.0.113.7
CSeq: 1 INVITE
Contact: <sip:bob@198.51.100.1:5060>
Content-Length: 0

M
t_run rewrite-dnat-reply rw dnr "${DNAT[@]}" --reply

# IPv6 endpoints in brackets
crlf "$W/v6.in" <<'M'
OPTIONS sip:[2001:db8::10] SIP/2.0
Via: SIP/2.0/UDP [fd00::2]:5060;branch=z9hG4bK4
From: <sip:a@[2001:db8::10]>;tag=6
To: <sip:[2001:db8::10]>
Call-ID: e4
CSeq: 1 OPTIONS
Contact: <sip:a@[fd00::2]:5060>
Content-Length: 0

M
crlf "$W/v6.want" <<'M'
OPTIONS sip:[2001:db8::10] SIP/2.0
Via: SIP/2.0/UDP [2001:db8::1]:40000;branch=z9hG4bK4
From: <sip:a@[2001:db8::10]>;tag=6
To: <sip:[2001:db8::10]>
Call-ID: e4
CSeq: 1 OPTIONS
Contact: <sip:a@[2001:db8::1]:40000>
Content-Length: 0

M
t_run rewrite-ipv6 rw v6 --snat '[fd00::2]:5060=[2001:db8::1]:40000' --peer '[2001:db8::10]:5060'

# input over the core's limit (SA_MAX_MSG, 65535 bytes) is refused with
# exit 2, naming the limit; it was cut to 65537 bytes and "forwarded
# unchanged". 100,084 bytes: a REGISTER with a long body; 65,536: one
# byte over; 65,535 'x' bytes are at the limit, not SIP: forwarded as
# they are (exit 0, the input on stdout)
big_input() { # BYTES FILE
	local d body
	# 54 bytes of start line and headers around the length's digits
	for d in 4 5 6; do
		body=$(( $1 - 54 - d ))
		[ "${#body}" = "$d" ] && break
	done
	{ printf 'REGISTER sip:example.com SIP/2.0\r\nContent-Length: %d\r\n\r\n' "$body"
	  head -c "$body" /dev/zero | tr '\0' 'a'; } >"$2"
	[ "$(stat -c %s "$2")" = "$1" ] || { echo "made $(stat -c %s "$2") bytes, not $1"; return 1; }
}
rewrite_too_big() { # BYTES
	big_input "$1" "$W/big.in" || return 1
	expect_rc 2 "longer than 65535 bytes, the core's limit \(SA_MAX_MSG\)" \
		"$CTL" rewrite "${SNAT[@]}" "$W/big.in" || return 1
	[ ! -s "$W/o" ] || { echo "stdout not empty"; return 1; }
}
t_run rewrite-too-big-100084 rewrite_too_big 100084
t_run rewrite-too-big-by-one rewrite_too_big 65536
rewrite_at_limit() {
	head -c 65535 /dev/zero | tr '\0' 'x' >"$W/limit.in"
	"$CTL" rewrite "${SNAT[@]}" "$W/limit.in" >"$W/limit.got" 2>"$W/e" || { echo "exit $?"; cat "$W/e"; return 1; }
	cmp "$W/limit.in" "$W/limit.got"
}
t_run rewrite-at-limit rewrite_at_limit

# policy disable: byte-identical
cp "$W/inv.in" "$W/dis.in"
cp "$W/inv.in" "$W/dis.want"
t_run rewrite-policy-disable-identical rw dis "${SNAT[@]}" --policy disable

# not SIP, a keep-alive, a TCP message without Content-Length: passed as is
printf 'hello, world\r\n' >"$W/ns.in"
cp "$W/ns.in" "$W/ns.want"
ns_pass() { rw ns "${SNAT[@]}" && grep -q "not rewritten" "$W/ns.explain"; }
t_run rewrite-not-sip-unchanged ns_pass
printf '\r\n\r\n' >"$W/ka.in"
cp "$W/ka.in" "$W/ka.want"
t_run rewrite-keepalive-unchanged rw ka "${SNAT[@]}"
grep -v '^Content-Length' <<'M' | crlf "$W/tcpnc.in"
OPTIONS sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/TCP 10.0.0.2:5060;branch=z9hG4bK8
From: <sip:100@203.0.113.10>;tag=8
To: <sip:203.0.113.10>
Call-ID: o8
CSeq: 8 OPTIONS

M
cp "$W/tcpnc.in" "$W/tcpnc.want"
tcp_noclen() { rw tcpnc "${SNAT[@]}" --tcp && grep -q "not rewritten" "$W/tcpnc.explain"; }
t_run rewrite-tcp-without-clen-unchanged tcp_noclen
# the same message over TCP with a Content-Length is rewritten
crlf "$W/tcp.in" <<'M'
OPTIONS sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/TCP 10.0.0.2:5060;branch=z9hG4bK8
From: <sip:100@203.0.113.10>;tag=8
To: <sip:203.0.113.10>
Call-ID: o8
CSeq: 8 OPTIONS
Content-Length: 0

M
crlf "$W/tcp.want" <<'M'
OPTIONS sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/TCP 198.51.100.1:40000;branch=z9hG4bK8
From: <sip:100@203.0.113.10>;tag=8
To: <sip:203.0.113.10>
Call-ID: o8
CSeq: 8 OPTIONS
Content-Length: 0

M
t_run rewrite-tcp rw tcp "${SNAT[@]}" --tcp

# stdin is the default input
stdin_in() {
	"$CTL" rewrite "${SNAT[@]}" <"$W/reg.in" >"$W/stdin.got" && cmp "$W/reg.want" "$W/stdin.got"
}
t_run rewrite-reads-stdin stdin_in

# ---------------------------------------------------------- rewrite strict
# policy strict: what the ALG refuses is dropped (exit 3, nothing on stdout,
# the reason on stderr); what it forwards is forwarded as without strict

# drop NAME WANT_REASON ARGS...: rewrite $W/NAME.in must exit 3 with an
# empty stdout and "dropped by policy strict: WANT_REASON" on stderr
drop() {
	local name=$1 reason=$2 rc
	shift 2
	"$CTL" rewrite "$@" "$W/$name.in" >"$W/$name.got" 2>"$W/$name.err"
	rc=$?
	cat "$W/$name.err"
	[ "$rc" = 3 ] || { echo "exit $rc, want 3"; return 1; }
	[ ! -s "$W/$name.got" ] || { echo "stdout not empty:"; cat -A "$W/$name.got"; return 1; }
	grep -q -x "sipalgctl: rewrite: dropped by policy strict: $reason" "$W/$name.err" ||
		{ echo "stderr lacks the drop reason $reason"; return 1; }
}

# a REGISTER whose top Via carries rport twice (bad-via) and one with two
# Content-Length headers (bad-content-length): the core refuses both
crlf "$W/badvia.in" <<'M'
REGISTER sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK9;rport;rport
From: <sip:100@203.0.113.10>;tag=9
To: <sip:100@203.0.113.10>
Call-ID: m9@10.0.0.2
CSeq: 9 REGISTER
Contact: <sip:100@10.0.0.2:5060>
Content-Length: 0

M
crlf "$W/badcl.in" <<'M'
OPTIONS sip:203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK10
From: <sip:100@203.0.113.10>;tag=10
To: <sip:203.0.113.10>
Call-ID: o10
CSeq: 10 OPTIONS
Content-Length: 0
Content-Length: 0

M
t_run rewrite-strict-drops-bad-via drop badvia bad-via "${SNAT[@]}" --policy strict
t_run rewrite-strict-drops-bad-content-length drop badcl bad-content-length "${SNAT[@]}" --policy strict
# combined with another policy, in one word or two options, reply direction
t_run rewrite-strict-combined-drops drop badvia bad-via "${SNAT[@]}" --policy force-rport,strict
t_run rewrite-strict-two-options-drops drop badcl bad-content-length "${SNAT[@]}" --policy strict --policy force-rport --reply
# --explain: the mapping first, then the drop; still nothing on stdout
strict_explain() {
	drop badvia bad-via "${SNAT[@]}" --policy strict --explain &&
		grep -q "^UDP, original direction: source 10.0.0.2:5060 -> 198.51.100.1:40000" "$W/badvia.err" &&
		! grep -q "forwarded" "$W/badvia.err"
}
t_run rewrite-strict-explain-drops strict_explain
# without strict the same messages are forwarded byte for byte
cp "$W/badvia.in" "$W/badvia.want"
cp "$W/badcl.in" "$W/badcl.want"
nostrict_via() { rw badvia "${SNAT[@]}" && grep -q "not rewritten: bad-via: forwarded unchanged" "$W/badvia.explain"; }
t_run rewrite-malformed-without-strict-unchanged nostrict_via
t_run rewrite-malformed-force-rport-unchanged rw badcl "${SNAT[@]}" --policy force-rport
# with strict, a good message is rewritten as without it; force-rport too
cp "$W/reg.in" "$W/sreg.in"
cp "$W/reg.want" "$W/sreg.want"
t_run rewrite-strict-good-rewritten rw sreg "${SNAT[@]}" --policy strict
cp "$W/reg.in" "$W/sregr.in"
cp "$W/regr.want" "$W/sregr.want"
t_run rewrite-strict-force-rport-good-rewritten rw sregr "${SNAT[@]}" --policy strict,force-rport
# nothing to rewrite (a response naming no private address): forwarded
cp "$W/okr.want" "$W/snop.in"
cp "$W/okr.want" "$W/snop.want"
t_run rewrite-strict-nothing-to-change-forwarded rw snop "${SNAT[@]}" --policy strict
# keep-alives and what is not SIP at all (STUN shares SIP ports) pass
cp "$W/ka.in" "$W/ska.in"
cp "$W/ka.in" "$W/ska.want"
t_run rewrite-strict-keepalive-forwarded rw ska "${SNAT[@]}" --policy strict
# a STUN binding request (RFC 5389 header, magic cookie 0x2112A442)
printf '\x00\x01\x00\x00\x21\x12\xa4\x42abcdefghijkl' >"$W/stun.in"
cp "$W/stun.in" "$W/stun.want"
strict_stun() { rw stun "${SNAT[@]}" --policy strict && grep -q "not rewritten: not-sip: forwarded unchanged" "$W/stun.explain"; }
t_run rewrite-strict-not-sip-forwarded strict_stun
# text that is not SIP passes too; the start of a SIP request cut short
# (no end of line) is a truncated message, dropped
cp "$W/ns.in" "$W/sns.in"
cp "$W/ns.in" "$W/sns.want"
t_run rewrite-strict-not-sip-text-forwarded rw sns "${SNAT[@]}" --policy strict
printf 'REGISTER sip:203.0.113.10 SIP/2.0' >"$W/trunc.in"
t_run rewrite-strict-truncated-drops drop trunc truncated "${SNAT[@]}" --policy strict
# usage errors: strict is for UDP only, never with disable
t_run rewrite-strict-tcp-refused expect_rc 2 "strict applies to UDP ports only" "$CTL" rewrite "${SNAT[@]}" --tcp --policy strict "$W/tcp.in"
t_run rewrite-strict-disable-refused expect_rc 2 "disable cannot be combined" "$CTL" rewrite "${SNAT[@]}" --policy strict,disable "$W/reg.in"

# rewrite usage errors
t_run rewrite-needs-mapping expect_rc 2 "needs a NAT mapping" "$CTL" rewrite --peer 1.2.3.4:5060 "$W/reg.in"
t_run rewrite-needs-peer expect_rc 2 "needs --peer" "$CTL" rewrite --snat 10.0.0.2:5060=198.51.100.1:40000 "$W/reg.in"
t_run rewrite-bad-address expect_rc 2 'bad IP address "10.0.0.300"' "$CTL" rewrite --snat 10.0.0.300:5060=198.51.100.1:4 --peer 1.2.3.4:5060 "$W/reg.in"
t_run rewrite-address-without-port expect_rc 2 'bad address "10.0.0.2": expected IP:PORT' "$CTL" rewrite --snat 10.0.0.2=198.51.100.1:4 --peer 1.2.3.4:5060 "$W/reg.in"
t_run rewrite-v6-without-brackets expect_rc 2 'bad address "fd00::2:5060"' "$CTL" rewrite --snat 'fd00::2:5060=[2001:db8::1]:4' --peer '[2001:db8::9]:5060' "$W/reg.in"
t_run rewrite-port-out-of-range expect_rc 2 "port out of range: 70000" "$CTL" rewrite --snat 10.0.0.2:70000=198.51.100.1:4 --peer 1.2.3.4:5060 "$W/reg.in"
t_run rewrite-pair-without-equals expect_rc 2 "--snat needs ADDR=ADDR" "$CTL" rewrite --snat 10.0.0.2:5060 --peer 1.2.3.4:5060 "$W/reg.in"
t_run rewrite-mixed-families expect_rc 2 "both sides must be IPv4 or both IPv6" "$CTL" rewrite --snat '10.0.0.2:5060=[2001:db8::1]:4' --peer 1.2.3.4:5060 "$W/reg.in"
t_run rewrite-mixed-peer-family expect_rc 2 "mixes IPv4 and IPv6" "$CTL" rewrite --snat 10.0.0.2:5060=198.51.100.1:4 --peer '[2001:db8::9]:5060' "$W/reg.in"
t_run rewrite-unknown-policy expect_rc 2 'unknown policy "rport": expected default, force-rport, static-port, strict, media-any or disable' "$CTL" rewrite "${SNAT[@]}" --policy rport "$W/reg.in"
t_run rewrite-disable-combined expect_rc 2 "disable cannot be combined" "$CTL" rewrite "${SNAT[@]}" --policy disable,force-rport "$W/reg.in"
t_run rewrite-option-needs-value expect_rc 2 "--peer needs a value" "$CTL" rewrite --snat 10.0.0.2:5060=198.51.100.1:4 --peer
t_run rewrite-unknown-option expect_rc 2 'unknown option "--nat"' "$CTL" rewrite --nat x "$W/reg.in"
t_run rewrite-two-files expect_rc 2 "only one input file" "$CTL" rewrite "${SNAT[@]}" "$W/reg.in" "$W/ok.in"
t_run rewrite-missing-file expect_rc 1 "cannot open $W/nope.sip" "$CTL" rewrite "${SNAT[@]}" "$W/nope.sip"

# -------------------------------------------------------------------- JSON
# flows needs conntrack netlink (root and nf_conntrack in this kernel)
if "$CTL" -j flows >"$W/flows.json" 2>"$W/flows.err"; then
	t_run json-flows-wellformed python3 -m json.tool "$W/flows.json"
	t_run json-flows-pretty-wellformed sh -c "'$CTL' -j -p flows | python3 -m json.tool"
	flows_shape() {
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"connections", "pinholes"}, d
assert isinstance(d["connections"], list) and isinstance(d["pinholes"], list)' "$W/flows.json"
	}
	t_run json-flows-shape flows_shape
else
	t_skip json-flows-wellformed "cannot read conntrack here: $(head -n 1 "$W/flows.err")"
fi

# ------------------------------------- output against a pretend kernel
# build/sipalgctl-fake is sipalgctl linked with fake.c, which answers the
# genl requests and the conntrack dumps from fixed tables. The outputs below
# are written by hand from those tables and the formats in sipalgctl.8:
# text and JSON (compact and -p), byte for byte.
FAKE=$here/build/sipalgctl-fake
# out NAME ARGS...: stdout of sipalgctl-fake ARGS must be $W/NAME.want
# exactly, with exit 0 and nothing on stderr; JSON must also parse
out() {
	local name=$1 rc
	shift
	"$FAKE" "$@" >"$W/$name.got" 2>"$W/$name.err"
	rc=$?
	cat "$W/$name.err"
	[ "$rc" = 0 ] || { echo "exit $rc"; return 1; }
	[ ! -s "$W/$name.err" ] || { echo "stderr not empty"; return 1; }
	if ! cmp -s "$W/$name.want" "$W/$name.got"; then
		diff -u "$W/$name.want" "$W/$name.got"
		return 1
	fi
	case " $* " in
	*" -j "*) python3 -m json.tool "$W/$name.got" >/dev/null || return 1 ;;
	esac
}
if [ -x "$FAKE" ]; then
cat >"$W/pol.want" <<'E'
proto port  family policy
udp   5060  any    default
udp   5060  inet6  force-rport,strict
udp   5080  any    static-port,media-any,0x100
tcp   5061  any    disable
tcp   5061  inet   force-rport
E
t_run out-policy-show-text out pol policy show
printf '%s\n' '[{"proto":"udp","port":5060,"family":"any","policy":["default"]},{"proto":"udp","port":5060,"family":"inet6","policy":["force-rport","strict"]},{"proto":"udp","port":5080,"family":"any","policy":["static-port","media-any","0x100"]},{"proto":"tcp","port":5061,"family":"any","policy":["disable"]},{"proto":"tcp","port":5061,"family":"inet","policy":["force-rport"]}]' >"$W/polj.want"
t_run out-policy-show-json out polj -j policy show
cat >"$W/polp.want" <<'E'
[
  {
    "proto": "tcp",
    "port": 5061,
    "family": "inet",
    "policy": [
      "force-rport"
    ]
  }
]
E
t_run out-policy-show-json-pretty-filtered out polp -j -p -4 policy show tcp 5061
cat >"$W/polf.want" <<'E'
proto port  family policy
udp   5060  inet6  force-rport,strict
E
t_run out-policy-show-text-filtered out polf -6 policy show udp
printf 'proto port  family policy\n' >"$W/pole.want"
SIPALGCTL_FAKE=empty t_run out-policy-show-text-empty out pole policy show
printf '[]\n' >"$W/polje.want"
SIPALGCTL_FAKE=empty t_run out-policy-show-json-empty out polje -j policy show
printf '[]\n' >"$W/polpe.want"
SIPALGCTL_FAKE=empty t_run out-policy-show-json-pretty-empty out polpe -j -p policy show

# policy save writes the words of policy show as policy set arguments, and
# refuses (printing nothing) a policy with a bit it has no name for
pol_save_unknown() {
	expect_rc 1 "^sipalgctl: cannot save udp 5080: its policy static-port,media-any,0x100 holds flags this sipalgctl has no name for" "$FAKE" policy save &&
		[ ! -s "$W/o" ]
}
t_run out-policy-save-refuses-unknown pol_save_unknown
cat >"$W/psave.want" <<'E'
# sipalg policies (sipalgctl policy save): [-4|-6] PROTO PORT POLICY
udp 5060 default
-6 udp 5060 force-rport,strict
tcp 5061 disable
-4 tcp 5061 force-rport
E
SIPALGCTL_FAKE=named t_run out-policy-save out psave policy save

cat >"$W/st.want" <<'E'
namespace total (3 policies):
    seen 12 rewritten 7 unchanged 4 dropped 1 tcp-reassembled 2 pinholes-opened 6 pinholes-expired 5 static-port-kept 3 static-port-fallback 1 pinholes-any-source 2 media-port-fallback 1 pinholes-refused 1 monitor-lost 9
    unchanged: not-sip 3 bad-via 1
    dropped: bad-content-length 1
    pinholes refused: call-limit 1
    tcp held: 1200 of 4194304 bytes (all namespaces)
udp 5060:
    seen 9 rewritten 6 unchanged 3 dropped 0 tcp-reassembled 0 pinholes-opened 6 pinholes-expired 5 static-port-kept 0 static-port-fallback 0 pinholes-any-source 0 media-port-fallback 0 pinholes-refused 1 monitor-lost 0
    unchanged: not-sip 3
    pinholes refused: call-limit 1
tcp 5061:
    seen 3 rewritten 1 unchanged 1 dropped 1 tcp-reassembled 2 pinholes-opened 0 pinholes-expired 0 static-port-kept 0 static-port-fallback 0 pinholes-any-source 0 media-port-fallback 0 pinholes-refused 0 monitor-lost 0
    unchanged: bad-via 1
    dropped: bad-content-length 1
E
t_run out-stats-text out st stats
t_run out-stats-show-text out st stats show
sed -n '/^tcp 5061:/,$p' "$W/st.want" >"$W/stp.want"
t_run out-stats-port-text out stp stats tcp 5061
cat >"$W/stj.want" <<'E'
{
  "total": {
    "policies": 3,
    "seen": 12,
    "rewritten": 7,
    "unchanged": 4,
    "dropped": 1,
    "tcp_reassembled": 2,
    "pinholes_opened": 6,
    "pinholes_expired": 5,
    "static_port_kept": 3,
    "static_port_fallback": 1,
    "pinholes_any_source": 2,
    "media_port_fallback": 1,
    "pinholes_refused": 1,
    "monitor_lost": 9,
    "unchanged_reasons": {
      "not-sip": 3,
      "bad-via": 1
    },
    "dropped_reasons": {
      "bad-content-length": 1
    },
    "pinholes_refused_reasons": {
      "call-limit": 1
    },
    "tcp_held": 1200,
    "tcp_hold_budget": 4194304
  },
  "ports": [
    {
      "proto": "udp",
      "port": 5060,
      "seen": 9,
      "rewritten": 6,
      "unchanged": 3,
      "dropped": 0,
      "tcp_reassembled": 0,
      "pinholes_opened": 6,
      "pinholes_expired": 5,
      "static_port_kept": 0,
      "static_port_fallback": 0,
      "pinholes_any_source": 0,
      "media_port_fallback": 0,
      "pinholes_refused": 1,
      "monitor_lost": 0,
      "unchanged_reasons": {
        "not-sip": 3
      },
      "dropped_reasons": {},
      "pinholes_refused_reasons": {
        "call-limit": 1
      }
    },
    {
      "proto": "tcp",
      "port": 5061,
      "seen": 3,
      "rewritten": 1,
      "unchanged": 1,
      "dropped": 1,
      "tcp_reassembled": 2,
      "pinholes_opened": 0,
      "pinholes_expired": 0,
      "static_port_kept": 0,
      "static_port_fallback": 0,
      "pinholes_any_source": 0,
      "media_port_fallback": 0,
      "pinholes_refused": 0,
      "monitor_lost": 0,
      "unchanged_reasons": {
        "bad-via": 1
      },
      "dropped_reasons": {
        "bad-content-length": 1
      },
      "pinholes_refused_reasons": {}
    }
  ]
}
E
t_run out-stats-json-pretty out stj -j -p stats
printf '%s\n' '{"ports":[{"proto":"udp","port":5060,"seen":9,"rewritten":6,"unchanged":3,"dropped":0,"tcp_reassembled":0,"pinholes_opened":6,"pinholes_expired":5,"static_port_kept":0,"static_port_fallback":0,"pinholes_any_source":0,"media_port_fallback":0,"pinholes_refused":1,"monitor_lost":0,"unchanged_reasons":{"not-sip":3},"dropped_reasons":{},"pinholes_refused_reasons":{"call-limit":1}}]}' >"$W/stpj.want"
t_run out-stats-port-json out stpj -j stats udp 5060
printf '%s\n' '{"total":{"policies":3,"seen":12,"rewritten":7,"unchanged":4,"dropped":1,"tcp_reassembled":2,"pinholes_opened":6,"pinholes_expired":5,"static_port_kept":3,"static_port_fallback":1,"pinholes_any_source":2,"media_port_fallback":1,"pinholes_refused":1,"monitor_lost":9,"unchanged_reasons":{"not-sip":3,"bad-via":1},"dropped_reasons":{"bad-content-length":1},"pinholes_refused_reasons":{"call-limit":1},"tcp_held":1200,"tcp_hold_budget":4194304},"ports":[]}' >"$W/stje.want"
SIPALGCTL_FAKE=empty t_run out-stats-json-no-ports out stje -j stats
sed -n '1,6p' "$W/st.want" >"$W/ste.want"
SIPALGCTL_FAKE=empty t_run out-stats-text-no-ports out ste stats

cat >"$W/calls.want" <<'E'
call c2@10.0.0.2  confirmed  udp  age 42s  last 200 INVITE 40s ago
  caller  10.0.0.2:5060 (public 198.51.100.1:40000)
  callee  203.0.113.10:5060 (public 203.0.113.10:5060)
  media   198.51.100.1:4000 rtp used
  media   198.51.100.1:4001 rtcp waiting
  media   10.0.0.2:4000 rtp out waiting
call x\x5cy\x01z\xe9  on-hold  tcp  age 300s  last INVITE 7s ago
  caller  [fd00::2]:5061 (public [2001:db8::1]:40001)
  callee  [2001:db8::10]:5061 (public [2001:db8::10]:5061)
E
t_run out-calls-text out calls calls
printf '%s\n' '{"calls":[{"call_id":"c2@10.0.0.2","state":"confirmed","transport":"udp","caller":{"private":"10.0.0.2","private_port":5060,"public":"198.51.100.1","public_port":40000},"callee":{"private":"203.0.113.10","private_port":5060,"public":"203.0.113.10","public_port":5060},"age":42,"last":"200 INVITE","last_ago":40,"pinholes":[{"addr":"198.51.100.1","port":4000,"kind":"rtp","direction":"in","used":true},{"addr":"198.51.100.1","port":4001,"kind":"rtcp","direction":"in","used":false},{"addr":"10.0.0.2","port":4000,"kind":"rtp","direction":"out","used":false}]},{"call_id":"x\\y z?","state":"on-hold","transport":"tcp","caller":{"private":"fd00::2","private_port":5061,"public":"2001:db8::1","public_port":40001},"callee":{"private":"2001:db8::10","private_port":5061,"public":"2001:db8::10","public_port":5061},"age":300,"last":"INVITE","last_ago":7,"pinholes":[]}]}' >"$W/callsj.want"
t_run out-calls-json out callsj -j calls
python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), indent=2, separators=(",", ": ")))' "$W/callsj.want" >"$W/callsp.want"
t_run out-calls-json-pretty out callsp -j -p calls
: >"$W/callse.want"
SIPALGCTL_FAKE=empty t_run out-calls-text-empty out callse calls
printf '{"calls":[]}\n' >"$W/callsje.want"
SIPALGCTL_FAKE=empty t_run out-calls-json-empty out callsje -j calls

cat >"$W/regs.want" <<'E'
sip:100@203.0.113.10  contact <sip:100@10.0.0.2:5060>  udp  10.0.0.2:5060 -> 198.51.100.1:40000  registrar 203.0.113.10:5060  expires 3541s
sip:b\x5cob@[2001:db8::10]  contact <sip:bob@[fd00::3]:5062;ob>  tcp  [fd00::3]:5062 -> [2001:db8::1]:40002  registrar [2001:db8::10]:5061  expires 60s
E
t_run out-registrations-text out regs registrations
printf '%s\n' '{"registrations":[{"aor":"sip:100@203.0.113.10","contact":"<sip:100@10.0.0.2:5060>","transport":"udp","phone":{"private":"10.0.0.2","private_port":5060,"public":"198.51.100.1","public_port":40000},"registrar":"203.0.113.10","registrar_port":5060,"expires":3541},{"aor":"sip:b\\ob@[2001:db8::10]","contact":"<sip:bob@[fd00::3]:5062;ob>","transport":"tcp","phone":{"private":"fd00::3","private_port":5062,"public":"2001:db8::1","public_port":40002},"registrar":"2001:db8::10","registrar_port":5061,"expires":60}]}' >"$W/regsj.want"
t_run out-registrations-json out regsj -j registrations
printf '{\n  "registrations": []\n}\n' >"$W/regspe.want"
SIPALGCTL_FAKE=empty t_run out-registrations-json-pretty-empty out regspe -j -p registrations

cat >"$W/flows.want" <<'E'
connections:
udp  10.0.0.2:5060 -> 203.0.113.10:5060  reply 203.0.113.10:5060 -> 198.51.100.1:40000  172s [assured]
tcp  [fd00::2]:40100 -> [2001:db8::10]:5061  reply [2001:db8::10]:5061 -> [2001:db8::1]:40100  431990s
pinholes:
udp  203.0.113.10:0 -> 198.51.100.1:4000  for udp 10.0.0.2:5060 -> 203.0.113.10:5060  179s
udp  [2001:db8::10]:0 -> [2001:db8::1]:4002  for tcp [fd00::2]:40100 -> [2001:db8::10]:5061  58s
E
t_run out-flows-text out flows flows
grep -v '^udp  10\.\|^udp  203\.' "$W/flows.want" >"$W/flows6.want"
t_run out-flows-text-ipv6 out flows6 -6 flows
printf '%s\n' '{"connections":[{"proto":"udp","family":"inet","orig":{"src":"10.0.0.2:5060","dst":"203.0.113.10:5060"},"reply":{"src":"203.0.113.10:5060","dst":"198.51.100.1:40000"},"timeout":172,"assured":true},{"proto":"tcp","family":"inet6","orig":{"src":"[fd00::2]:40100","dst":"[2001:db8::10]:5061"},"reply":{"src":"[2001:db8::10]:5061","dst":"[2001:db8::1]:40100"},"timeout":431990,"assured":false}],"pinholes":[{"proto":"udp","src":"203.0.113.10:0","dst":"198.51.100.1:4000","master":{"proto":"udp","src":"10.0.0.2:5060","dst":"203.0.113.10:5060"},"timeout":179},{"proto":"udp","src":"[2001:db8::10]:0","dst":"[2001:db8::1]:4002","master":{"proto":"tcp","src":"[fd00::2]:40100","dst":"[2001:db8::10]:5061"},"timeout":58}]}' >"$W/flowsj.want"
t_run out-flows-json out flowsj -j flows
cat >"$W/flowsp4.want" <<'E'
{
  "connections": [
    {
      "proto": "udp",
      "family": "inet",
      "orig": {
        "src": "10.0.0.2:5060",
        "dst": "203.0.113.10:5060"
      },
      "reply": {
        "src": "203.0.113.10:5060",
        "dst": "198.51.100.1:40000"
      },
      "timeout": 172,
      "assured": true
    }
  ],
  "pinholes": [
    {
      "proto": "udp",
      "src": "203.0.113.10:0",
      "dst": "198.51.100.1:4000",
      "master": {
        "proto": "udp",
        "src": "10.0.0.2:5060",
        "dst": "203.0.113.10:5060"
      },
      "timeout": 179
    }
  ]
}
E
t_run out-flows-json-pretty-ipv4 out flowsp4 -j -p -4 flows
printf 'connections:\npinholes:\n' >"$W/flowse.want"
SIPALGCTL_FAKE=empty t_run out-flows-text-empty out flowse flows
printf '{"connections":[],"pinholes":[]}\n' >"$W/flowsje.want"
SIPALGCTL_FAKE=empty t_run out-flows-json-empty out flowsje -j flows

# issue 14: the global options -j, -p, -jp, -4 and -6 go after the
# command (and after its words) as well as before it, with the same output
# as the cases above
t_run out-after-policy-show-json out polj policy show -j
t_run out-after-policy-show-pretty-filtered out polp policy show tcp 5061 -jp -4
t_run out-after-policy-show-text-filtered out polf policy show udp -6
t_run out-after-policy-show-verb-first out polf policy -6 show udp
t_run out-after-stats-json-pretty out stj stats -j -p
t_run out-after-stats-show-port-json out stpj stats show udp 5060 --json
t_run out-after-calls-json out callsj calls -j
t_run out-after-calls-json-pretty out callsp calls --pretty --json
t_run out-after-registrations-json out regsj registrations -j
t_run out-after-flows-json out flowsj flows -j
t_run out-after-flows-text-ipv6 out flows6 flows -6
t_run out-after-flows-json-pretty-ipv4 out flowsp4 flows -4 -pj

# -------------------------------------------------- monitor, pretend events
# fake.c's monitor socket delivers three events, then Ctrl-C. The outputs
# are written by hand from the formats in sipalgctl.8 and README (text:
# local time, TZ=UTC here; JSON: one object a line, UTC), byte for byte,
# stdout and the summary on stderr.
# outmon NAME ARGS...: stdout must be $W/NAME.want, stderr $W/NAME.ewant,
# exit 0; JSON must parse (-j: every line, -jp: one document)
outmon() {
	local name=$1 rc
	shift
	TZ=${MON_TZ:-UTC} "$FAKE" "$@" >"$W/$name.got" 2>"$W/$name.egot"
	rc=$?
	[ "$rc" = 0 ] || { cat "$W/$name.egot"; echo "exit $rc"; return 1; }
	cmp -s "$W/$name.want" "$W/$name.got" || { diff -u "$W/$name.want" "$W/$name.got"; return 1; }
	cmp -s "$W/$name.ewant" "$W/$name.egot" || { diff -u "$W/$name.ewant" "$W/$name.egot"; return 1; }
	case " $* " in
	*" -jp "*) python3 -m json.tool "$W/$name.got" >/dev/null || return 1 ;;
	*" -j "*) python3 -c 'import json, sys
for l in sys.stdin.buffer.read().decode("utf-8").splitlines():
    json.loads(l)' <"$W/$name.got" || return 1 ;;
	esac
}
# 1: a rewritten UDP INVITE (edits, one cut, two left out; a pinhole
# opened, one closed from any source, one left out); 2: an IPv6 180 over
# TCP, unchanged (bad-via), its Call-ID with a backslash, a control byte
# and a non-UTF-8 byte; 3: TCP bytes not parsed, dropped (tcp-gap)
cat >"$W/mon1.want" <<'E'
=== 15:40:19.123456  INVITE  (CSeq 1 INVITE)  udp original  rewritten
  came in   192.168.1.2:5060 -> 198.51.100.2:5060
  left      198.51.100.1:36205 -> 198.51.100.2:5060
  Call-ID   1-256@192.168.1.2
      Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK-256-1-0
    * Via: SIP/2.0/UDP 198.51.100.1:36205;branch=z9hG4bK-256-1-0
      Contact: "Jos\xc3\xa9" <sip:sipp@192.168.1.2:5060>
    * Contact: "Jos\xc3\xa9" <sip:sipp@198.51.100.1:36205>
      c=IN IP4 192.168.1.2
    * c=IN IP4 198.51.100.1
      INVITE sip:a@192.168.1.2 [cut]
    * INVITE sip:a@198.5 [cut]
    (2 more lines changed, not shown)
  pinhole opened  udp 198.51.100.1:6000 from 198.51.100.2 (audio)
  pinhole closed  udp 198.51.100.1:6002 from any source (video)
  (1 more pinholes, not shown)
E
cat >"$W/mon3.want" <<'E'
=== 23:59:59.500000  (not parsed)  tcp original  dropped (tcp-gap)
  came in   10.0.0.3:40000 -> 203.0.113.20:5061
  left      198.51.100.1:40001 -> 203.0.113.20:5061
E
{
	cat "$W/mon1.want"
	cat <<'E'
=== 15:40:20.000999  180  (CSeq 7 INVITE)  tcp reply  unchanged (bad-via)
  came in   [2001:db8::10]:5061 -> [2001:db8::1]:40100
  left      [2001:db8::10]:5061 -> [fd00::2]:40100
  Call-ID   x\x5cy\x01z\xe9
E
	cat "$W/mon3.want"
} >"$W/mon.want"
printf 'sipalgctl: monitor: 3 events shown, 0 lost\n' >"$W/mon.ewant"
t_run out-monitor-text outmon mon monitor
cat >"$W/monj1.want" <<'E'
{"time":"2025-12-03T15:40:19.123456Z","time_ns":1764776419123456789,"dir":"original","family":"inet","transport":"udp","port":5060,"before":{"src":"192.168.1.2","sport":5060,"dst":"198.51.100.2","dport":5060},"after":{"src":"198.51.100.1","sport":36205,"dst":"198.51.100.2","dport":5060},"method":"INVITE","cseq":1,"call_id":"1-256@192.168.1.2","verdict":"rewritten","reason":null,"len":812,"new_len":816,"edits":[{"where":"header","name":"Via","before":"Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK-256-1-0","after":"Via: SIP/2.0/UDP 198.51.100.1:36205;branch=z9hG4bK-256-1-0","edits":1,"cut":false},{"where":"header","name":"Contact","before":"Contact: \"José\" <sip:sipp@192.168.1.2:5060>","after":"Contact: \"José\" <sip:sipp@198.51.100.1:36205>","edits":1,"cut":false},{"where":"body","name":"c=","before":"c=IN IP4 192.168.1.2","after":"c=IN IP4 198.51.100.1","edits":1,"cut":false},{"where":"start-line","name":"","before":"INVITE sip:a@192.168.1.2","after":"INVITE sip:a@198.5","edits":1,"cut":true}],"edits_cut":2,"pinholes":[{"action":"opened","class":"audio","transport":"udp","addr":"198.51.100.1","port":6000,"from":"198.51.100.2"},{"action":"closed","class":"video","transport":"udp","addr":"198.51.100.1","port":6002,"from":null}],"pinholes_cut":1}
{"time":"2025-12-03T15:40:20.000999Z","time_ns":1764776420000999999,"dir":"reply","family":"inet6","transport":"tcp","port":5061,"before":{"src":"2001:db8::10","sport":5061,"dst":"2001:db8::1","dport":40100},"after":{"src":"2001:db8::10","sport":5061,"dst":"fd00::2","dport":40100},"method":"INVITE","status":180,"cseq":7,"call_id":"x\\y\u0001z?","verdict":"unchanged","reason":"bad-via","len":433,"new_len":433,"edits":[],"edits_cut":0,"pinholes":[],"pinholes_cut":0}
E
{
	cat "$W/monj1.want"
	cat <<'E'
{"time":"2025-12-03T23:59:59.500000Z","time_ns":1764806399500000000,"dir":"original","family":"inet","transport":"tcp","port":5061,"before":{"src":"10.0.0.3","sport":40000,"dst":"203.0.113.20","dport":5061},"after":{"src":"198.51.100.1","sport":40001,"dst":"203.0.113.20","dport":5061},"method":null,"call_id":null,"verdict":"dropped","reason":"tcp-gap","len":1380,"new_len":0,"edits":[],"edits_cut":0,"pinholes":[],"pinholes_cut":0}
E
} >"$W/monj.want"
cp "$W/mon.ewant" "$W/monj.ewant"
t_run out-monitor-json outmon monj monitor -j
cp "$W/monj.want" "$W/monjb.want"
cp "$W/mon.ewant" "$W/monjb.ewant"
t_run out-monitor-json-before outmon monjb -j monitor
# --count stops after two events; the summary says two
cp "$W/monj1.want" "$W/monjc.want"
printf 'sipalgctl: monitor: 2 events shown, 0 lost\n' >"$W/monjc.ewant"
t_run out-monitor-json-count outmon monjc monitor --count 2 -j
# filters: a Call-ID, a port of the tuple (only event 3 has 40000)
cp "$W/mon1.want" "$W/monc.want"
printf 'sipalgctl: monitor: 1 events shown, 0 lost\n' >"$W/monc.ewant"
t_run out-monitor-text-call-id outmon monc monitor --call-id 1-256@192.168.1.2
cat >"$W/monp.want" <<'E'
{
  "time": "2025-12-03T23:59:59.500000Z",
  "time_ns": 1764806399500000000,
  "dir": "original",
  "family": "inet",
  "transport": "tcp",
  "port": 5061,
  "before": {
    "src": "10.0.0.3",
    "sport": 40000,
    "dst": "203.0.113.20",
    "dport": 5061
  },
  "after": {
    "src": "198.51.100.1",
    "sport": 40001,
    "dst": "203.0.113.20",
    "dport": 5061
  },
  "method": null,
  "call_id": null,
  "verdict": "dropped",
  "reason": "tcp-gap",
  "len": 1380,
  "new_len": 0,
  "edits": [],
  "edits_cut": 0,
  "pinholes": [],
  "pinholes_cut": 0
}
E
cp "$W/monc.ewant" "$W/monp.ewant"
t_run out-monitor-json-pretty-port outmon monp monitor -jp --port 40000
# text shows local time (5:30 east of UTC here), JSON stays UTC
sed 's/^=== 23:59:59.500000 /=== 05:29:59.500000 /' "$W/mon3.want" >"$W/montz.want"
cp "$W/monc.ewant" "$W/montz.ewant"
MON_TZ=XST-5:30 t_run out-monitor-text-local-time outmon montz monitor --port 40000
sed -n 3p "$W/monj.want" >"$W/montzj.want"
cp "$W/monc.ewant" "$W/montzj.ewant"
MON_TZ=XST-5:30 t_run out-monitor-json-utc-time outmon montzj monitor --port 40000 -j
# lost events: the socket overflowed once, and the module's monitor-lost
# counter grew by 3 while monitor ran
cp "$W/monj.want" "$W/monl.want"
printf 'sipalgctl: monitor: this socket overflowed 1 times\nsipalgctl: monitor: 3 events shown, 3 lost\n' >"$W/monl.ewant"
SIPALGCTL_FAKE=lost t_run out-monitor-json-lost outmon monl monitor -j
cp "$W/mon.want" "$W/monlt.want"
cp "$W/monl.ewant" "$W/monlt.ewant"
SIPALGCTL_FAKE=lost t_run out-monitor-text-lost outmon monlt monitor
SIPALGCTL_FAKE=eperm t_run out-monitor-permission expect_rc 5 "^sipalgctl: monitor: permission denied: .*CAP_NET_ADMIN" "$FAKE" monitor -j
else
	t_skip out-pretend-kernel "no $FAKE (run through make -C tests/ctl check)"
fi

# ------------------------------------------ policy files (save / restore)
# The file format of sipalgctl policy save / restore (sipalgctl.8, POLICY
# FILES). Every file is checked whole before the kernel is asked anything,
# so these run without the module: --check, and errors that must come out
# before "module not loaded".
pf() { printf -- "$@"; }
pf '# policies.conf\n\n   \n\t# indented comment\nudp 5060 force-rport   # old phones\n-4 udp 5060 strict\n-6\ttcp\t5061\tdisable\nudp 5080 force-rport,static-port strict\r\nudp 5090 default\ntcp 5060 force-rport' >"$W/good.conf"
: >"$W/empty.conf"
pf '# only comments\n\n# udp 5060 bogus\n' >"$W/comments.conf"
# expect_file_err FILE WANT_RC LINE REASON_REGEX: the message is
# "sipalgctl: FILE:LINE: reason" with no hint to --help, nothing on stdout
expect_file_err() {
	local f=$1 want=$2 line=$3 re=$4 rc
	shift 4
	"$CTL" policy restore "$@" "$f" >"$W/o" 2>"$W/e"
	rc=$?
	echo "\$ sipalgctl policy restore $* $f -> $rc"
	cat "$W/e"
	[ "$rc" = "$want" ] || { echo "want exit $want"; return 1; }
	[ "$(wc -l <"$W/e")" = 1 ] || { echo "want one line on stderr"; return 1; }
	grep -E -q -- "^sipalgctl: $f:$line: $re\$" "$W/e" || { echo "stderr is not 'sipalgctl: $f:$line: /$re/'"; return 1; }
	[ ! -s "$W/o" ] || { echo "stdout not empty"; return 1; }
}
expect_ok_silent() {
	"$@" >"$W/o" 2>"$W/e" || { echo "\$ $* -> $?"; cat "$W/e"; return 1; }
	[ ! -s "$W/o" ] && [ ! -s "$W/e" ] || { cat "$W/o" "$W/e"; return 1; }
}
t_run pfile-check-good expect_ok_silent "$CTL" policy restore --check "$W/good.conf"
t_run pfile-check-good-short expect_ok_silent "$CTL" policy restore -c "$W/good.conf"
t_run pfile-check-empty expect_ok_silent "$CTL" policy restore -c "$W/empty.conf"
t_run pfile-check-comments-only expect_ok_silent "$CTL" policy restore -c "$W/comments.conf"
t_run pfile-check-stdin bash -c '"$1" policy restore -c - <"$2"' _ "$CTL" "$W/good.conf"
# one bad line among good ones: FILE:LINE: reason, exit 2 (bad input)
pfbad() { # NAME LINE REGEX CONTENT (printf format)
	local name=$1 line=$2 re=$3
	pf "$4" >"$W/$name.conf"
	t_run "pfile-$name" expect_file_err "$W/$name.conf" 2 "$line" "$re" -c
}
pfbad bad-policy 3 'unknown policy "bogus": expected default, .*' '# x\nudp 5060 force-rport\nudp 5070 bogus\nudp 5080 strict\n'
pfbad bad-policy-in-list 1 'unknown policy "forcerport".*' 'udp 5060 static-port,forcerport\n'
pfbad bad-proto 2 'unknown protocol "sctp": expected udp or tcp' '\nsctp 5060 disable\n'
pfbad bad-port 1 'port out of range: 70000 \(expected 1 to 65535\)' 'udp 70000 disable\n'
pfbad bad-port-word 1 'bad port "sip": expected a number from 1 to 65535' 'tcp sip disable\n'
pfbad no-policy 2 'expected \[-4\|-6\] \{udp\|tcp\} PORT POLICY, as for policy set' 'udp 5060 disable\nudp 5070   # policy forgotten\n'
pfbad family-late 1 '-6 comes first on the line' 'udp 5060 disable -6\n'
pfbad family-word 1 'unknown protocol "-5": expected udp or tcp' '-5 udp 5060 disable\n'
pfbad strict-tcp 1 'strict applies to UDP ports only.*' 'tcp 5060 strict\n'
pfbad empty-list 2 'empty policy name in ",": expected a comma-separated list .*' 'udp 5060 disable\nudp 5070 ,\n'
pfbad disable-combined 1 'disable cannot be combined with another policy' 'udp 5060 disable force-rport\n'
pfbad duplicate 4 'udp 5060 is already on line 1' 'udp 5060 disable\n-4 udp 5060 strict\n-6 udp 5060 strict\nudp 5060 force-rport\n'
pfbad duplicate-family 3 '-6 tcp 5061 is already on line 2' 'udp 5060 disable\n-6 tcp 5061 disable\n-6 tcp 5061 force-rport\n'
pfbad long-line 2 'line longer than 1024 bytes' "udp 5060 disable\nudp 5070 force-rport $(printf '%*s' 1100 '')\n"
pfbad nul-byte 2 'a NUL byte: not a text file' 'udp 5060 disable\nudp 50\00060 disable\n'
# the file is checked before the kernel is asked: a bad file gives exit 2
# whether or not the module is loaded, and names the line, not the module
t_run pfile-bad-before-kernel expect_file_err "$W/bad-policy.conf" 2 3 'unknown policy "bogus".*'
pfile_stdin_err() {
	"$CTL" policy restore - <"$W/bad-port.conf" 2>"$W/e"
	[ $? = 2 ] && grep -q '^sipalgctl: (standard input):1: port out of range: 70000' "$W/e" || { cat "$W/e"; return 1; }
}
t_run pfile-stdin-error-names-input pfile_stdin_err
t_run pfile-missing-file expect_rc 1 "cannot open $W/nonexistent.conf: No such file or directory" "$CTL" policy restore -c "$W/nonexistent.conf"
t_run pfile-directory expect_rc 1 "cannot read $W: Is a directory" "$CTL" policy restore -c "$W"
t_run usage-restore-no-file expect_rc 2 "policy restore: needs a file" "$CTL" policy restore
t_run usage-restore-check-no-file expect_rc 2 "policy restore: needs a file" "$CTL" policy restore --check
t_run usage-restore-extra-arg expect_rc 2 'policy restore: unexpected argument "b"' "$CTL" policy restore a b
t_run usage-restore-family expect_rc 2 "policy restore: -4 and -6 belong on the file's lines" "$CTL" -4 policy restore "$W/good.conf"
t_run usage-save-extra-arg expect_rc 2 'policy save: unexpected argument "udp"' "$CTL" policy save udp
t_run usage-save-json expect_rc 2 "policy save: saves every policy as policy lines" "$CTL" -j policy save
t_run help-policy-save-restore bash -c '"$1" policy --help | grep -q "sipalgctl policy restore \[-c|--check\] FILE" && "$1" --help | grep -q "policy save|restore"' _ "$CTL"
if [ -d /sys/module/sipalg ]; then
	t_skip pfile-module-not-loaded "the sipalg module is loaded on this machine"
else
	t_run pfile-restore-module-not-loaded expect_rc 4 "sipalg kernel module is not loaded" "$CTL" policy restore "$W/good.conf"
	t_run pfile-restore-empty-module-not-loaded expect_rc 4 "sipalg kernel module is not loaded" "$CTL" policy restore "$W/empty.conf"
	t_run pfile-save-module-not-loaded expect_rc 4 "sipalg kernel module is not loaded" "$CTL" policy save
fi
# the shipped example parses, and holds no policy (it is all comments)
pfile_example() {
	local f=$top/dist/policies.conf
	"$CTL" policy restore --check "$f" || return 1
	! grep -v '^[[:space:]]*\(#\|$\)' "$f" || { echo "the example sets policies"; return 1; }
	# every example line in it, uncommented, parses too
	sed -n 's/^#[[:space:]]*\(\(-[46] \)\?\(udp\|tcp\) [0-9].*\)/\1/p' "$f" >"$W/ex.conf"
	[ -s "$W/ex.conf" ] || { echo "no example lines"; return 1; }
	cat "$W/ex.conf"
	"$CTL" policy restore --check "$W/ex.conf"
}
t_run pfile-shipped-example pfile_example
# the completions of the last of WORDS, sorted, each followed by a space
comp_words() {
	bash -c '
		f=$1; shift
		. "$f"
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_sipalgctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "
	' _ "$top/userspace/sipalgctl.bash-completion" "$@"
}
# comp_is WANT WORDS...: the last word of WORDS completes to WANT
comp_is() {
	local want=$1 got
	shift
	got=$(comp_words "$@")
	[ "$got" = "$want" ] || { echo "complete '$*': got '$got', want '$want'"; return 1; }
}
pfile_completion() {
	mkdir -p "$W/cd" && : >"$W/cd/policies.conf"
	cd "$W/cd" || return 1
	comp_is "save set show " sipalgctl policy s || return 1
	comp_is "policies.conf " sipalgctl policy restore '' || return 1
	comp_is "policies.conf " sipalgctl policy restore -c pol || return 1
	comp_is "--check " sipalgctl policy restore -- || return 1
	comp_is " " sipalgctl policy restore policies.conf ''
}
t_run pfile-bash-completion pfile_completion
# the boot unit as systemd reads it (its sipalgctl: the one built here)
unit_ok() {
	mkdir -p "$W/unit"
	sed "s|@SBINDIR@|$top/userspace|g" "$top/dist/sipalg.service" >"$W/unit/sipalg.service"
	grep -q "^ExecStart=$top/userspace/sipalgctl policy restore /etc/sipalg/policies.conf\$" "$W/unit/sipalg.service" || return 1
	systemd-analyze verify --man=no "$W/unit/sipalg.service" >"$W/o" 2>&1
	local rc=$?
	cat "$W/o"
	[ "$rc" = 0 ] && [ ! -s "$W/o" ]
}
if command -v systemd-analyze >/dev/null; then
	t_run unit-file-verifies unit_ok
else
	t_skip unit-file-verifies "systemd-analyze is not installed"
fi

# -------------------------------------------------------- man page, completion
man_ok() {
	local f=$top/userspace/sipalgctl.8 out
	out=$(LC_ALL=C MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null) || return 1
	[ -z "$out" ] || { echo "$out"; return 1; }
	LC_ALL=C MANWIDTH=80 man -l "$f" 2>/dev/null | col -b >"$W/man.txt"
	# every command and policy is documented
	for w in "policy set" "policy del" "policy show" "policy flush" "stats" \
		"policy save" "policy restore" "POLICY FILES" /etc/sipalg/policies.conf \
		"flows" "rewrite" force-rport static-port strict disable default \
		--snat --dnat --peer --reply --tcp --explain \
		monitor --call-id --count monitor-lost monitor_rate \
		calls registrations on-hold calls_max untracked_calls unrecorded_calls; do
		grep -q -- "$w" "$W/man.txt" || { echo "man page lacks $w"; return 1; }
	done
}
if command -v man >/dev/null; then
	t_run man-page-renders-cleanly man_ok
else
	t_skip man-page-renders-cleanly "man is not installed"
fi
completion_ok() {
	local pol="default disable force-rport media-any static-port"
	bash -n "$top/userspace/sipalgctl.bash-completion" || return 1
	# complete "sipalgctl policy set udp 5060 " -> the policy names
	comp_is "$pol strict " sipalgctl policy set udp 5060 "" || return 1
	# strict is not offered for TCP ports
	comp_is "$pol " sipalgctl policy set tcp 5061 "" || return 1
	comp_is "$pol strict " sipalgctl rewrite --policy "" || return 1
	comp_is "calls flows help monitor policy registrations rewrite stats " \
		sipalgctl "" || return 1
	comp_is "--call-id --count --help --port " \
		sipalgctl -j monitor --port 5060 "" || return 1
	# the global options after the command, and not counted as a word:
	# "policy set -6 udp 5060 " still completes the policy names
	comp_is "--call-id --count --help --json --port --pretty -j -p " \
		sipalgctl monitor --count 3 - || return 1
	comp_is "$pol strict " sipalgctl policy set -6 udp 5060 "" || return 1
	comp_is "--help --json --pretty -j -p " sipalgctl calls -
}
t_run bash-completion completion_ok

t_summary
