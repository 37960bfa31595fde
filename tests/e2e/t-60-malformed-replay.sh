#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hostile input: SIP torture and fuzz messages from the shared corpora
# (../shared/corpora, outside the repository) replayed as UDP datagrams from
# the phone's address through the masquerading router with sipalg. Nothing
# may crash, every datagram must arrive (the helper passes what it does not
# understand), and a datagram that arrives changed must be a whole rewrite:
# the same lines, every changed line naming the public address (or being
# Content-Length, m= or a Via rport), and a Content-Length that still fits.
# A second pass sends realistic call flows (Vyatta's ALG vectors) with the
# phone's address put in, so that rewrites really happen.
#
#   replayer (sa-cli)            router (sa-rtr)               recorder (sa-srv)
#   192.168.1.2:5060 --- lan0 | wan0 198.51.100.1 ---------- 198.51.100.2:5060
#                            masquerade fully-random
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
trap topo_down EXIT

CORPORA=$(t_corpora)

REPLAY=$E2E_OUT/replay.py
cat >"$REPLAY" <<'PY'
import glob, json, os, re, select, socket, sys, time
role = sys.argv[1]

def fix_clen(b):
    """after a text substitution: Content-Length to the new body length"""
    h, sep, body = b.partition(b"\r\n\r\n")
    if not sep:
        return b
    return re.sub(rb"(?im)^(content-length[ \t]*:[ \t]*)\d+", lambda m: m.group(1) + str(len(body)).encode(), h, count=1) + sep + body

if role == "send":
    # lock-step: the recorder acknowledges each datagram (the ack comes
    # back through the router as the reply direction of the same flow)
    out, cli, srv, sub = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    files = [l.strip() for l in open(sys.argv[6]) if l.strip()]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((cli, 5060))
    sent = []
    for f in files:
        b = open(f, "rb").read()
        if sub:
            b = fix_clen(b.replace(sub.encode(), cli.encode()))
        if not b or len(b) > 60000:
            continue
        s.sendto(b, (srv, 5060))
        acked = False
        end = time.time() + 2
        while time.time() < end:
            r, _, _ = select.select([s], [], [], end - time.time())
            if not r:
                break
            d, _ = s.recvfrom(65536)
            if d.startswith(b"REPLAY-ACK"):
                acked = True
                break
        sent.append([f, b.hex(), acked])
    s.sendto(b"REPLAY-DONE", (srv, 5060))
    json.dump(sent, open(out, "w"))
elif role == "recv":
    out, srv = sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((srv, 5060))
    got = []
    end = time.time() + 600
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 30)
        if not r:
            break
        d, a = s.recvfrom(65536)
        if d == b"REPLAY-DONE":
            break
        got.append(d.hex())
        s.sendto(b"REPLAY-ACK", a)
    json.dump(got, open(out, "w"))
else:
    sent = json.load(open(sys.argv[2]))
    got = json.load(open(sys.argv[3]))
    pub = sys.argv[4].encode()
    import re
    def clen_ok(b):
        h, sep, body = b.partition(b"\r\n\r\n")
        if not sep:
            return None
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$", h)
        if not m:
            return None
        return int(m.group(1)) == len(body)
    j = 0
    same = changed = bad = 0
    dropped = []
    for f, hx, acked in sent:
        b = bytes.fromhex(hx)
        if not acked or j >= len(got):
            dropped.append(f)
            continue
        r = bytes.fromhex(got[j])
        j += 1
        if r == b:
            same += 1
            continue
        bl, rl = b.split(b"\n"), r.split(b"\n")
        why = None
        if len(bl) != len(rl):
            why = "%d lines became %d" % (len(bl), len(rl))
            bl = rl = []
        for x, y in zip(bl, rl):
            if x == y:
                continue
            if pub in y or re.match(rb"(?i)(content-length|l)\s*:", y) or \
               y.startswith(b"m=") or re.search(rb";rport", y):
                continue
            why = "line %r became %r" % (x[:80], y[:80])
            break
        if not why and clen_ok(b) and not clen_ok(r):
            why = "Content-Length no longer fits the body"
        if why:
            bad += 1
            print("HALF-REWRITTEN %s: %s" % (f, why))
        changed += 1
    print("sent %d, arrived unchanged %d, rewritten %d (bad %d), missing %d, extra %d" %
          (len(sent), same, changed, bad, len(dropped), len(got) - j))
    for f in dropped[:20]:
        print("missing: " + f)
    sys.exit(1 if bad or dropped or len(got) != j else 0)
PY

# replay the files listed in $1; $2: address text to replace by the phone's
replay() {
	local list=$1 sub=${2:-} tag=$3 rc=0
	srv python3 "$REPLAY" recv "$E2E_OUT/$tag-got.json" "$SRV4" &
	local rpid=$!
	for _ in $(seq 1 50); do
		srv ss -Hlnu | grep -q ':5060 ' && break
		sleep 0.1
	done
	cli python3 "$REPLAY" send "$E2E_OUT/$tag-sent.json" "$CLI4" "$SRV4" "$sub" "$list"
	wait "$rpid"
	python3 "$REPLAY" check "$E2E_OUT/$tag-sent.json" "$E2E_OUT/$tag-got.json" "$RTR_WAN4" || rc=$?
	return "$rc"
}

torture_replay() {
	local list=$E2E_OUT/torture.list
	topo_up
	{
		find "$CORPORA/rfc4475-torture" "$CORPORA/protos-c07-sip-sample" \
			"$CORPORA/jain-sip-torture" "$CORPORA/opensips-test-msgs" \
			"$CORPORA/pjsip-msg-tests" "$CORPORA/wireshark-samplecaptures-sip" \
			-type f \( -name '*.sip' -o -name '*.dat' \)
		find "$CORPORA/rfc5118-ipv6-torture" -type f ! -name '*.*' ! -name SHA256SUMS
		find "$CORPORA/sofia-sip-parser-tests" -type f -name '*.txt' ! -name SOURCE.txt
	} | sort >"$list"
	echo "$(wc -l <"$list") messages"
	replay "$list" "" torture
	# the counters say why messages were left alone
	if [ -x "$E2E_TOP/userspace/sipalgctl" ]; then
		rtr "$E2E_TOP/userspace/sipalgctl" stats udp 5060 | tee "$E2E_OUT/torture-stats.txt"
		grep -Eq ' seen [1-9]' "$E2E_OUT/torture-stats.txt"
		grep -Eq '^ +unchanged: .*not-sip [1-9]' "$E2E_OUT/torture-stats.txt"
	fi
	topo_down
}

# Vyatta's call flows before SNAT, the UA's address replaced by the phone's
flows_replay() {
	local list=$E2E_OUT/flows.list
	topo_up
	find "$CORPORA/vyatta-dataplane-sip-alg/messages/sipd1_pre_snat" -type f | sort >"$list"
	replay "$list" "1.1.1.2" flows
	python3 - "$E2E_OUT/flows-got.json" "$RTR_WAN4" <<-'PY'
	import json, sys
	got = [bytes.fromhex(h) for h in json.load(open(sys.argv[1]))]
	pub = sys.argv[2].encode()
	inv = [g for g in got if g.startswith(b"INVITE ")]
	assert inv, "no INVITE arrived"
	print(inv[0].decode("latin-1"))
	assert b"c=IN IP4 " + pub in inv[0], "c= not rewritten"
	assert b"192.168.1.2" not in inv[0].split(b"\r\n\r\n")[1], "private address in SDP"
	PY
	topo_down
}

if [ ! -d "$CORPORA" ]; then
	t_skip malformed-replay "no corpora at $CORPORA"
	e2e_finish
	exit
fi
# t-69 runs this file with the in-tree helper instead
[ "$TOPO_HELPER_TYPE" != sipalg ] || e2e_module_load
e2e_test malformed-torture-replay-nothing-half-rewritten torture_replay
e2e_test malformed-flows-replay-rewritten-whole flows_replay
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
