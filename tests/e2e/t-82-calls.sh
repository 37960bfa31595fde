#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# sipalgctl calls and sipalgctl registrations on the router, read while a
# phone registers and calls through it (tests/e2e/sipp/sippeer.py), and
# with 1,000 concurrent SIPp calls (each from its own socket, so its own
# connection): the dump of 1,000 calls spans many netlink messages and
# must give each call once.
#
#   phone (sa-cli)                router (sa-rtr)                server (sa-srv)
#   192.168.1.2:5060  --- lan0 192.168.1.1 | 198.51.100.1 wan0 ---  198.51.100.2:5060
#                             masquerade fully-random
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"
CTL=$E2E_TOP/userspace/sipalgctl
BENCH_SIPP=$E2E_TOP/tests/bench-e2e/sipp
trap topo_down EXIT

# snapshots of both tables every 0.3 s while pid $1 runs: $E2E_OUT/$2-N.json
snapshots() {
	local pid=$1 tag=$2 n=0
	while kill -0 "$pid" 2>/dev/null; do
		n=$((n + 1))
		rtr "$CTL" -j calls >"$E2E_OUT/$tag-calls-$n.json"
		rtr "$CTL" -j registrations >"$E2E_OUT/$tag-regs-$n.json"
		sleep 0.3
	done
}

call_register_hold() {
	local ppid rc=0 cid natport
	topo_up
	topo_cap_start hold
	peer_server hold --answer
	peer_phone hold --sport 5060 --call --hold --hold-secs 4 --expires 300 &
	ppid=$!
	snapshots "$ppid" hold
	wait "$ppid" || rc=$?
	server_ok hold
	topo_cap_stop
	[ "$rc" = 0 ]
	# after the BYE's answer: no call left
	rtr "$CTL" -j calls >"$E2E_OUT/hold-calls-after.json"
	cid=$(sip_field "$CAP_CLI" '^INVITE ' Call-ID)
	natport=$(sip_src "$CAP_SRV" '^INVITE ')
	natport=${natport##*:}
	echo "Call-ID $cid, NAT port $natport"
	python3 - "$E2E_OUT" "$cid" "$natport" <<'EOF'
import glob, json, sys
out, cid, natport = sys.argv[1:]
states, regs = [], []
def num(f):
    return int(f.rsplit("-", 1)[1].split(".")[0])
for f in sorted(glob.glob(out + "/hold-calls-[0-9]*.json"), key=num):
    calls = json.load(open(f))["calls"]
    assert len(calls) <= 1, calls
    for c in calls:
        assert c["call_id"] == cid, (c, cid)
        assert c["transport"] == "udp"
        assert c["caller"] == {"private": "192.168.1.2", "private_port": 5060,
                               "public": "198.51.100.1", "public_port": int(natport)}, c["caller"]
        assert c["callee"] == {"private": "198.51.100.2", "private_port": 5060,
                               "public": "198.51.100.2", "public_port": 5060}, c["callee"]
        if c["state"] == "confirmed":
            # the phone's RTP and RTCP pinholes, at the router's public address
            ph = [(p["addr"], p["kind"], p["direction"]) for p in c["pinholes"]]
            assert ("198.51.100.1", "rtp", "in") in ph, c["pinholes"]
            assert ("198.51.100.1", "rtcp", "in") in ph, c["pinholes"]
        if not states or states[-1] != c["state"]:
            states.append(c["state"])
for f in sorted(glob.glob(out + "/hold-regs-[0-9]*.json"), key=num):
    regs += json.load(open(f))["registrations"]
print("states seen in order:", states)
# the call answered, on hold after the sendonly re-INVITE, back
assert "confirmed" in states and "on-hold" in states, states
i = states.index("on-hold")
assert "confirmed" in states[:i] and "confirmed" in states[i:], states
assert json.load(open(out + "/hold-calls-after.json")) == {"calls": []}
# the registration: the registrar granted 300 s (the phone asked 300;
# sippeer's server grants what is asked), counting down
assert regs, "no registration seen"
for r in regs:
    assert r["aor"] == "sip:phone@198.51.100.2", r
    assert r["contact"] == "sip:phone@192.168.1.2:5060", r
    assert r["transport"] == "udp"
    assert r["phone"] == {"private": "192.168.1.2", "private_port": 5060,
                          "public": "198.51.100.1", "public_port": int(natport)}, r["phone"]
    assert r["registrar"] == "198.51.100.2" and r["registrar_port"] == 5060, r
    assert 250 <= r["expires"] <= 300, r
assert regs[-1]["expires"] <= regs[0]["expires"]
print("registration:", regs[0], "...", regs[-1]["expires"])
EOF
	topo_down
}

# Refreshes of one registration (the same phone socket, so the same
# connection) that change its Contact: registrations shows each new one,
# longer than the first (the module makes the connection's text object
# again, bigger) and shorter again (the object is kept).
refresh_new_contact() {
	local c long=phone-refresh.a-longer-host-name.lan.example:5060
	topo_up
	peer_server refresh --registers 3
	for c in 192.168.1.2:5060 "$long" 192.168.1.2:5060; do
		peer_phone refresh --sport 5060 --contact "$c" --expires 300 || return 1
		rtr "$CTL" -j registrations >"$E2E_OUT/refresh-regs.json"
		python3 - "$E2E_OUT/refresh-regs.json" "sip:phone@$c" <<'EOF' || return 1
import json, sys
regs = json.load(open(sys.argv[1]))["registrations"]
print("registrations:", regs)
assert len(regs) == 1, regs
assert regs[0]["aor"] == "sip:phone@198.51.100.2", regs[0]
assert regs[0]["contact"] == sys.argv[2], (regs[0]["contact"], "expected", sys.argv[2])
EOF
	done
	server_ok refresh
	topo_down
}

# 1,000 concurrent calls, one UDP socket (connection) each
thousand_calls() {
	local m=1000 rate=50 hold uac rc=0 n
	# SIPp wants more open files than its -max_socket
	ulimit -n 65536
	topo_up
	{ echo SEQUENTIAL; for ((i = 0; i < m; i++)); do echo "$((20000 + 2 * i))"; done; } >"$E2E_OUT/uas.csv"
	{ echo SEQUENTIAL; for ((i = 0; i < m; i++)); do echo "$((30000 + 2 * i))"; done; } >"$E2E_OUT/uac.csv"
	(cd "$E2E_OUT" && exec ip netns exec "$TOPO_NS_SRV" sipp -sf "$BENCH_SIPP/call-uas.xml" \
		-i "$SRV4" -p 5060 -t u1 -nostdin -max_socket 60000 -inf "$E2E_OUT/uas.csv" \
		>"$E2E_OUT/sipp-uas.log" 2>&1) &
	TOPO_PIDS+=("$!")
	for _ in $(seq 1 100); do
		[[ $(srv ss -Hlnu "src $SRV4") == *":5060 "* ]] && break
		sleep 0.1
	done
	hold=$(( (m / rate + 20) * 1000 ))
	(cd "$E2E_OUT" && exec ip netns exec "$TOPO_NS_CLI" sipp -sf "$BENCH_SIPP/call-uac.xml" \
		-i "$CLI4" -t un -nostdin -max_socket 60000 -inf "$E2E_OUT/uac.csv" \
		-m "$m" -r "$rate" -l "$m" -d "$hold" -timeout $((hold / 1000 + m / rate + 120)) \
		-trace_stat -stf "$E2E_OUT/uac.stat.csv" "$SRV4:5060" \
		>"$E2E_OUT/sipp-uac.log" 2>&1) &
	uac=$!
	# every call set up, none torn down yet
	sleep $(( m / rate + 10 ))
	rtr "$CTL" -j calls >"$E2E_OUT/thousand.json"
	rtr "$CTL" calls >"$E2E_OUT/thousand.txt"
	wait "$uac" || rc=$?
	echo "sipp uac exit $rc"
	tail -n 5 "$E2E_OUT/uac.stat.csv" | cut -d';' -f1-20 || true
	[ "$rc" = 0 ]
	python3 - "$E2E_OUT/thousand.json" "$m" <<'EOF'
import json, sys
calls = json.load(open(sys.argv[1]))["calls"]
ids = [c["call_id"] for c in calls]
print("%d calls, %d distinct Call-IDs" % (len(calls), len(set(ids))))
assert len(calls) == int(sys.argv[2]) and len(set(ids)) == len(calls)
assert all(c["state"] == "confirmed" for c in calls)
EOF
	n=$(grep -c '^call ' "$E2E_OUT/thousand.txt")
	echo "text lists $n calls"
	[ "$n" = "$m" ]
	rtr "$CTL" -j calls >"$E2E_OUT/thousand-after.json"
	[ "$(cat "$E2E_OUT/thousand-after.json")" = '{"calls":[]}' ]
	topo_down
}

# both tables need CAP_NET_ADMIN
unprivileged_refused() {
	local rc=0 out
	out=$(setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$CTL" calls 2>&1) || rc=$?
	echo "calls: exit $rc: $out"
	[ "$rc" = 5 ]
	rc=0
	out=$(setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all "$CTL" registrations 2>&1) || rc=$?
	echo "registrations: exit $rc: $out"
	[ "$rc" = 5 ]
}

peer_module_load
e2e_test calls-register-hold-resume-bye call_register_hold
e2e_test registrations-refresh-changes-contact refresh_new_contact
e2e_test calls-thousand-concurrent thousand_calls
e2e_test calls-unprivileged-refused unprivileged_refused
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
