#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Failover of an active/backup router pair (issue 15): conntrackd (FTFW on
# a dedicated sync link, ExpectationSync for sipalg) and keepalived (VRRP
# for the LAN gateway and the WAN NAT address) run with the files of
# examples/ha as shipped; calls and a registration made through rtrA must
# go on through rtrB once rtrA is gone.
#
#                          LAN bridge (ha-sw br-lan)
#   phone (ha-ph)      +------------+----------------+
#   192.168.1.2 -------+            |                |
#   gw 192.168.1.1     |  lan0 .11  |      lan0 .12  |
#   (VIP)           +--+------------+-+  +-----------+-----+
#                   | rtrA (ha-a)     |  | rtrB (ha-b)     |
#                   | VRRP master     |  | VRRP backup     |
#                   | conntrackd  sync0 192.0.2.1/.2  sync0|
#                   |                 +--+ conntrackd      |
#                   | snat to WAN VIP |  | snat to WAN VIP |
#                   +--+--------------+  +-----------+-----+
#                      |  wan0 .11                   |  wan0 .12
#                      +------------+----------------+
#                          WAN bridge (ha-sw br-wan), VIP 198.51.100.1
#                                   |
#                          server (ha-srv) 198.51.100.2:5060
#                          registrar + UAS (tests/e2e/sipp/hapeer.py),
#                          no route to 192.168.1.0/24
#
# The phone sends from and listens on 5060 over UDP without rport, so its
# answers follow the Via that sipalg rewrote. RTP runs at 50 packets a
# second both ways for the whole call; the media gap is the longest time
# between two RTP packets arriving at one side across the failover.
# rtrA fails by losing all its links at once and its keepalived being
# killed (no VRRP priority-0 advert): rtrB has to notice by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"
. "$(dirname "$0")/sipp/peer.sh"
HA_EX=$E2E_TOP/examples/ha
HAPEER=$E2E_DIR/sipp/hapeer.py
HA_NS="ha-ph ha-sw ha-a ha-b ha-srv"
HA_RUN=/run/sipalg-ha-test
PH=192.168.1.2 PT=192.168.1.3 SRVIP=198.51.100.2 WAN_VIP=198.51.100.1
FACTS=$E2E_OUT/facts
GAP_GOAL_MS=3000
trap ha_down EXIT

ha_down() {
	local ns pid
	for ns in $HA_NS; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
	done
	sleep 0.5
	for ns in $HA_NS; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns"
	done
	return 0
}

# a veth from namespace $1 (name $2) to the switch (name $3) on bridge $4
ha_port() {
	ip -n "$1" link add "$2" type veth peer name "$3" netns ha-sw
	ip -n ha-sw link set "$3" master "$4" up
	ip -n "$1" link set "$2" up
}

# the examples as shipped; only the helper type changes when the file runs
# with the in-tree helper (TOPO_HELPER_TYPE=sip, as t-69 does)
ha_file() {
	sed "s/\"sipalg\"/\"$TOPO_HELPER_TYPE\"/; s/^\(\t\t\t\)sipalg$/\1$TOPO_HELPER_TYPE/" "$HA_EX/$1"
}

ha_up() {
	local ns r
	ha_down
	rm -rf "$HA_RUN" /run/sipalg-ha-conntrackd-rtr[AB].log /run/sipalg-ha-rtr[AB].fifo
	mkdir -p "$HA_RUN" /run/lock
	for ns in $HA_NS; do topo__ns "$ns"; done
	ip -n ha-sw link add br-lan type bridge
	ip -n ha-sw link add br-wan type bridge
	# no STP or learning delay: the ports forward at once
	ip -n ha-sw link set br-lan type bridge forward_delay 0 stp_state 0
	ip -n ha-sw link set br-wan type bridge forward_delay 0 stp_state 0
	ip -n ha-sw link set br-lan up
	ip -n ha-sw link set br-wan up
	ha_port ha-ph eth0 ph br-lan
	ha_port ha-a lan0 a-lan br-lan
	ha_port ha-b lan0 b-lan br-lan
	ha_port ha-a wan0 a-wan br-wan
	ha_port ha-b wan0 b-wan br-wan
	ha_port ha-srv eth0 srv br-wan
	ip -n ha-a link add sync0 type veth peer name sync0 netns ha-b
	ip -n ha-a link set sync0 up
	ip -n ha-b link set sync0 up
	ip -n ha-ph addr add "$PH/24" dev eth0
	ip -n ha-ph route add default via 192.168.1.1
	ip -n ha-srv addr add "$SRVIP/24" dev eth0
	ip -n ha-a addr add 192.168.1.11/24 dev lan0
	ip -n ha-a addr add 198.51.100.11/24 dev wan0
	ip -n ha-a addr add 192.0.2.1/30 dev sync0
	ip -n ha-b addr add 192.168.1.12/24 dev lan0
	ip -n ha-b addr add 198.51.100.12/24 dev wan0
	ip -n ha-b addr add 192.0.2.2/30 dev sync0
	modprobe nf_conntrack_netlink 2>/dev/null || true
	for r in a b; do
		ip netns exec ha-$r sysctl -qw net.ipv4.ip_forward=1
		ip netns exec ha-$r sysctl -qw -p "$HA_EX/sysctl.conf"
		ha_file router.nft | ip netns exec ha-$r nft -f -
	done
	# conntrackd in the foreground, one per router
	for r in A B; do
		ha_file "conntrackd-rtr$r.conf" >"$HA_RUN/conntrackd-rtr$r.conf"
		rm -f "/run/lock/conntrackd-rtr$r.lock" "/run/conntrackd-rtr$r.ctl"
		(exec ip netns exec "ha-$(echo $r | tr AB ab)" conntrackd -C "$HA_RUN/conntrackd-rtr$r.conf" \
			>"$E2E_OUT/conntrackd-rtr$r.out" 2>&1) &
	done
	for r in A B; do
		e2e_wait 10 test -S "/run/conntrackd-rtr$r.ctl"
	done
	# keepalived reads examples/ha/keepalived.conf through the two-line
	# file its comment shows, with HA_DIR here
	{
		echo "\$HA_DIR=$HA_RUN"
		echo "include $HA_EX/keepalived.conf"
	} >"$HA_RUN/keepalived.conf"
	cp "$HA_EX/ha-notify.sh" "$HA_RUN/"
	ha_keepalived A
	# rtrA first: it is master before rtrB starts
	e2e_wait 40 ha_is_master a
	e2e_wait 20 ha_guard_open a
	ha_keepalived B
	e2e_wait 40 grep -q "Entering BACKUP STATE" "$E2E_OUT/keepalived-rtrB.out"
	ha_peers_start
}

ha_keepalived() {
	local r=$1 ns
	ns=ha-$(echo "$r" | tr AB ab)
	(exec ip netns exec "$ns" keepalived -n -l -D --vrrp -i "rtr$r" -f "$HA_RUN/keepalived.conf" \
		-p "$HA_RUN/keepalived-rtr$r.pid" -r "$HA_RUN/vrrp-rtr$r.pid" \
		>>"$E2E_OUT/keepalived-rtr$r.out" 2>&1) &
}

ha_is_master() {
	[[ $(ip -n "ha-$1" -4 addr show dev wan0) == *" $WAN_VIP/"* ]]
}

# the takeover set is empty once ha-notify.sh committed
ha_guard_open() {
	local s
	s=$(ip netns exec "ha-$1" nft list set inet sipalg_ha takeover)
	[[ $s != *"$WAN_VIP"* ]]
}

ha_peers_start() {
	mkfifo "$HA_RUN/ph.ctl" "$HA_RUN/srv.ctl"
	(exec ip netns exec ha-ph python3 "$HAPEER" --bind "$PH" --ctl "$HA_RUN/ph.ctl" \
		--peer "$SRVIP:5060" --media-port 16000 >"$E2E_OUT/phone.log" 2>&1) &
	(exec ip netns exec ha-srv python3 "$HAPEER" --bind "$SRVIP" --ctl "$HA_RUN/srv.ctl" \
		--registrar --media-port 20000 >"$E2E_OUT/server.log" 2>&1) &
	e2e_wait 10 ip netns exec ha-ph ss -Hlnu "sport = 5060"
	e2e_wait 10 ip netns exec ha-srv ss -Hlnu "sport = 5060"
	e2e_wait 10 ip netns exec ha-srv ss -Hlnt "sport = 5060"
}

# a second phone, over TCP, on 192.168.1.3 (its connection is made now,
# through the router that is master)
ha_tcp_phone_start() {
	mkfifo "$HA_RUN/pt.ctl"
	ip -n ha-ph addr add "$PT/24" dev eth0
	(exec ip netns exec ha-ph python3 "$HAPEER" --bind "$PT" --ctl "$HA_RUN/pt.ctl" --tcp \
		--peer "$SRVIP:5060" --media-port 16000 >"$E2E_OUT/phone-tcp.log" 2>&1) &
	e2e_wait 10 grep -q "connected from port" "$E2E_OUT/phone-tcp.log"
}

# tell peer ph|srv to do CMD; remembers where both logs stood (ev looks
# only at what came after)
say() {
	local p
	for p in ph pt srv; do
		[ -e "$E2E_OUT/$(ha_log $p)" ] && eval "${p}_at=\$(wc -l <\"\$E2E_OUT/\$(ha_log $p)\")"
	done
	echo "$2" >"$HA_RUN/$1.ctl"
}
ha_log() {
	case $1 in ph) echo phone.log ;; pt) echo phone-tcp.log ;; *) echo server.log ;; esac
}
# the first line of peer $1's log since its last command matching $2,
# waiting up to $3 s (default 10)
ev() {
	local p=$1 re=$2 t=${3:-10} at end l
	eval "at=\$${p}_at"
	end=$(($(date +%s) + t))
	while [ "$(date +%s)" -lt "$end" ]; do
		l=$(tail -n "+$((at + 1))" "$E2E_OUT/$(ha_log "$p")" | grep -m1 -E "$re" || true)
		if [ -n "$l" ]; then
			echo "$l"
			return 0
		fi
		sleep 0.1
	done
	echo "$(ha_log "$p"): no '$re' within $t s" >&2
	return 1
}
# media stats of peer $1 since its last mark: sets RX GAP IDLE
stats() {
	local l
	say "$1" stats
	l=$(ev "$1" '^[0-9]+ stats ')
	RX=$(echo "$l" | sed -E 's/.*rx=([0-9]+).*/\1/')
	GAP=$(echo "$l" | sed -E 's/.*gap_ms=([0-9]+).*/\1/')
	IDLE=$(echo "$l" | sed -E 's/.*idle_ms=([0-9]+).*/\1/')
}
fact() { echo "$*" >>"$FACTS"; echo "fact: $*"; }

# both sides receive RTP: at least $1 packets since the last mark (the
# phone: $2, default ph)
media_flows() {
	local p
	for p in "${2:-ph}" srv; do
		stats "$p"
		echo "$p: rx $RX gap $GAP ms idle $IDLE ms"
		[ "$RX" -ge "$1" ] && [ "$IDLE" -lt 200 ] || return 1
	done
}

# the TCP phone is called on its connection and talks: the server hangs up
tcp_inbound_call() {
	local l
	say srv callreg
	l=$(ev pt '^[0-9]+ incoming from ')
	echo "$l"
	[[ $l == *" incoming from $SRVIP:5060 sdp ('$SRVIP', 20000) via SIP/2.0/TCP $SRVIP:5060;"* ]]
	ev srv "^[0-9]+ call-up 200 media to $WAN_VIP:[0-9]+"
	ev pt "^[0-9]+ call-up media to $SRVIP:20000"
	sleep 0.5
	say pt mark
	say srv mark
	sleep 1.5
	media_flows 30 pt
	say srv bye
	ev srv '^[0-9]+ bye-ok 200'
	ev pt '^[0-9]+ bye from '
}

# step 4: a phone registered over TCP whose connection carries the inbound
# calls, before and after the failover (a fresh pair of routers)
tcp_failover() {
	local l port1 port2 tfail
	: >"$FACTS.tcp"
	FACTS=$FACTS.tcp
	set -E
	trap 'ha_dump tcp' ERR
	ha_up
	ha_tcp_phone_start
	say pt register
	ev pt '^[0-9]+ registered 200'
	l=$(ev srv '^[0-9]+ register from ')
	echo "$l"
	port1=$(echo "$l" | sed -E 's/.* register from [0-9.]+:([0-9]+) .*/\1/')
	[[ $l == *" register from $WAN_VIP:$port1 contact <sip:ua@$WAN_VIP:$port1;transport=tcp>"* ]]
	fact "tcp-registered public-port $port1"
	tcp_inbound_call
	fact "tcp-inbound-before"
	ha_fail a
	e2e_wait 40 ha_is_master b
	e2e_wait 20 ha_guard_open b
	tcp_inbound_call
	fact "tcp-inbound-after"
	say pt register
	ev pt '^[0-9]+ registered 200'
	l=$(ev srv '^[0-9]+ register from ')
	echo "$l"
	port2=$(echo "$l" | sed -E 's/.* register from [0-9.]+:([0-9]+) .*/\1/')
	echo "public port before $port1, after $port2"
	[ "$port2" = "$port1" ]
	fact "tcp-refresh-same-port"
}

# rtr$1 (a|b) fails at once, and tfail (ms) says when: its keepalived is
# killed (no priority-0 advert, so the other router has to notice by
# itself), then its three links go down in one ip process. (Until
# 2026-12-04 this took three ip processes and a cat before the kill, and
# under load rtrA's WAN adverts went on for a second after its LAN link
# was down; keepalived moves a sync group only when all its instances
# have timed out, so that second was counted in the media gap.)
ha_fail() {
	local R k v
	R=$(echo "$1" | tr ab AB)
	read -r k <"$HA_RUN/keepalived-rtr$R.pid"
	read -r v <"$HA_RUN/vrrp-rtr$R.pid"
	tfail=${EPOCHREALTIME/[.,]/}
	tfail=$((tfail / 1000))
	kill -9 "$k" "$v" 2>/dev/null || true
	printf 'link set %s down\n' lan0 wan0 sync0 | ip -n "ha-$1" -batch -
}

# both sides have RTP again after the failover
media_back() {
	stats ph
	[ "$IDLE" -lt 100 ] && [ "$RX" -gt 0 ] || return 1
	stats srv
	[ "$IDLE" -lt 100 ] && [ "$RX" -gt 0 ]
}

# the routers' tables and rules, for a failed step
ha_dump() {
	local r
	for r in a b; do
		{
			ip netns exec "ha-$r" conntrack -L
			ip netns exec "ha-$r" conntrack -L expect
			ip netns exec "ha-$r" nft list ruleset
			[ "$TOPO_HELPER_TYPE" != sipalg ] || ip netns exec "ha-$r" "$E2E_TOP/userspace/sipalgctl" stats
		} >"$E2E_OUT/dump-$1-rtr$r.txt" 2>&1
	done
	echo "tables and rules in $E2E_OUT/dump-$1-rtr[ab].txt"
}

udp_failover() {
	local l port1 port2 tfail gph gsrv
	: >"$FACTS"
	set -E
	trap 'ha_dump failover' ERR
	ha_up
	# 1. register and call through rtrA
	say ph register
	ev ph '^[0-9]+ registered 200'
	l=$(ev srv '^[0-9]+ register from ')
	echo "$l"
	port1=$(echo "$l" | sed -E 's/.* register from [0-9.]+:([0-9]+) .*/\1/')
	[[ $l == *" register from $WAN_VIP:$port1 contact <sip:ua@$WAN_VIP:$port1>"* ]]
	fact "registered public-port $port1"
	say ph call
	ev ph '^[0-9]+ call-up 200 media to 198.51.100.2:20000'
	ev srv "^[0-9]+ call-up media to $WAN_VIP:[0-9]+"
	sleep 1
	say ph mark
	say srv mark
	sleep 1
	media_flows 30
	fact "call-up-before"
	ip netns exec ha-a conntrack -L >"$E2E_OUT/rtrA-ct-before.txt" 2>&1 || true
	ip netns exec ha-a conntrack -L expect >"$E2E_OUT/rtrA-expect-before.txt" 2>&1 || true
	ip netns exec ha-b conntrackd -C "$HA_RUN/conntrackd-rtrB.conf" -e ct >"$E2E_OUT/rtrB-cache-ct.txt" 2>&1 || true
	ip netns exec ha-b conntrackd -C "$HA_RUN/conntrackd-rtrB.conf" -e expect >"$E2E_OUT/rtrB-cache-expect.txt" 2>&1 || true
	echo "rtrB's external cache: $(grep -c . "$E2E_OUT/rtrB-cache-ct.txt") conntracks, $(grep -c . "$E2E_OUT/rtrB-cache-expect.txt") expectations"

	# 2. rtrA fails: all links down, its keepalived dies without a word
	say ph mark
	say srv mark
	cp "$E2E_OUT/keepalived-rtrB.out" "$E2E_OUT/keepalived-rtrB-before-failure.out"
	ha_fail a
	echo "rtrA failed at $tfail"
	if ! e2e_wait 40 media_back; then
		stats ph; echo "phone: rx $RX idle $IDLE"
		stats srv; echo "server: rx $RX idle $IDLE"
		ha_timeline "$tfail"
		fact "media-gap-ms none"
		return 1
	fi
	sleep 1
	stats ph
	gph=$GAP
	stats srv
	gsrv=$GAP
	echo "media gap: towards the phone $gph ms, towards the server $gsrv ms"
	fact "media-gap-ms $((gph > gsrv ? gph : gsrv)) phone $gph server $gsrv"
	ha_timeline "$tfail"
	ip netns exec ha-b conntrack -L >"$E2E_OUT/rtrB-ct-after.txt" 2>&1 || true
	ip netns exec ha-b conntrack -L expect >"$E2E_OUT/rtrB-expect-after.txt" 2>&1 || true
	ha_is_master b
	fact "media-resumed"

	# 3. the call's BYE through rtrB, rewritten
	say ph bye
	ev ph '^[0-9]+ bye-ok 200'
	l=$(ev srv '^[0-9]+ bye from ')
	echo "$l"
	[[ $l == *" bye from $WAN_VIP:$port1 via SIP/2.0/UDP $WAN_VIP:$port1;"* ]]
	fact "bye-rewritten"

	# 4. an inbound call to the phone registered through rtrA
	say srv callreg
	l=$(ev ph '^[0-9]+ incoming from ')
	echo "$l"
	[[ $l == *" incoming from $SRVIP:5060 sdp ('$SRVIP', 20000)"* ]]
	ev srv "^[0-9]+ call-up 200 media to $WAN_VIP:[0-9]+"
	ev ph "^[0-9]+ call-up media to $SRVIP:20000"
	sleep 0.5
	say ph mark
	say srv mark
	sleep 1.5
	media_flows 30
	say srv bye
	ev srv '^[0-9]+ bye-ok 200'
	ev ph '^[0-9]+ bye from '
	fact "inbound-call"

	# 5. a REGISTER refresh keeps its public port
	say ph register
	ev ph '^[0-9]+ registered 200'
	l=$(ev srv '^[0-9]+ register from ')
	echo "$l"
	port2=$(echo "$l" | sed -E 's/.* register from [0-9.]+:([0-9]+) .*/\1/')
	echo "public port before $port1, after $port2"
	[ "$port2" = "$port1" ]
	[[ $l == *"contact <sip:ua@$WAN_VIP:$port1>"* ]]
	fact "refresh-same-port"

	# 6. a new call through rtrB
	say ph call
	ev ph '^[0-9]+ call-up 200 media to 198.51.100.2:20000'
	ev srv "^[0-9]+ call-up media to $WAN_VIP:[0-9]+"
	sleep 0.5
	say ph mark
	say srv mark
	sleep 1.5
	media_flows 30
	say ph bye
	ev ph '^[0-9]+ bye-ok 200'
	fact "new-call"
}

# step 5: rtrA comes back as the backup (nopreempt: it does not take the
# addresses back), resyncs from rtrB, and takes over again when rtrB fails
# the same way, with a call up across it
udp_failback() {
	local l port tfail gph gsrv
	has_fact new-call
	set -E
	trap 'ha_dump failback' ERR
	ip -n ha-a link set lan0 up
	ip -n ha-a link set wan0 up
	ip -n ha-a link set sync0 up
	ha_keepalived A
	e2e_wait 40 grep -q "Entering BACKUP STATE" "$E2E_OUT/keepalived-rtrA.out"
	! ha_is_master a
	# rtrA asked rtrB for its table (conntrackd -n); give it a moment
	sleep 1
	say ph call
	ev ph '^[0-9]+ call-up 200 media to 198.51.100.2:20000'
	ev srv "^[0-9]+ call-up media to $WAN_VIP:[0-9]+"
	sleep 1
	say ph mark
	say srv mark
	sleep 1
	media_flows 30
	ip netns exec ha-a conntrackd -C "$HA_RUN/conntrackd-rtrA.conf" -e expect >"$E2E_OUT/rtrA-cache-expect.txt" 2>&1 || true
	echo "rtrA's external cache: $(grep -c . "$E2E_OUT/rtrA-cache-expect.txt") expectations"
	say ph mark
	say srv mark
	ha_fail b
	echo "rtrB failed at $tfail"
	if ! e2e_wait 40 media_back; then
		ha_timeline "$tfail" A
		return 1
	fi
	sleep 1
	stats ph
	gph=$GAP
	stats srv
	gsrv=$GAP
	echo "media gap back to rtrA: towards the phone $gph ms, towards the server $gsrv ms"
	fact "back-media-gap-ms $((gph > gsrv ? gph : gsrv)) phone $gph server $gsrv"
	ha_timeline "$tfail" A
	ha_is_master a
	say ph bye
	ev ph '^[0-9]+ bye-ok 200'
	ev srv "^[0-9]+ bye from $WAN_VIP:"
	say ph register
	ev ph '^[0-9]+ registered 200'
	l=$(ev srv '^[0-9]+ register from ')
	port=$(echo "$l" | sed -E 's/.* register from [0-9.]+:([0-9]+) .*/\1/')
	echo "public port first $(sed -n -E 's/^registered public-port //p' "$FACTS"), now $port"
	grep -q "^registered public-port $port\$" "$FACTS"
	fact "back-to-rtrA"
}

# where the time went: the failure, the new master's notify steps (router
# $2, default B)
ha_timeline() {
	local t0=$1 r=${2:-B}
	echo "timeline (ms after the failure) on rtr$r:"
	grep -h 'sipalg-ha:' "/run/sipalg-ha-conntrackd-rtr$r.log" 2>/dev/null |
		sed -n -E 's/.*sipalg-ha: (.*) at ([0-9]+) .*/\2 \1/p' | sort -n |
		while read -r t rest; do
			[ "$t" -ge "$t0" ] && echo "  +$((t - t0)) $rest"
		done || true
	grep -h -E 'Entering MASTER|Sending gratuitous' "$E2E_OUT/keepalived-rtr$r.out" | tail -n 4 | sed 's/^/  /' || true
	cp /run/sipalg-ha-conntrackd-rtr*.log "$E2E_OUT/" 2>/dev/null || true
}

has_fact() {
	grep -q "^$1" "$FACTS${2:-}" 2>/dev/null || { echo "the failover scenario did not get to: $1"; return 1; }
}
# The gap is asserted below GAP_GOAL_MS, as issue 15 asks. On the
# emulated guest most of it is VRRP's detection (about 0.36 s with 0.1 s
# adverts), keepalived starting the notify script and conntrackd's
# client starting for the commit; without the commit (the notify script
# broken, the copies not restored) the media never came back before the
# call ended in the trials, 15 s and more.
gap_measured() {
	local g
	g=$(sed -n -E 's/^media-gap-ms ([0-9]+).*/\1/p' "$FACTS")
	[ -n "$g" ] || { echo "no media gap measured"; return 1; }
	if [ "$g" -lt "$GAP_GOAL_MS" ]; then
		echo "media gap $g ms: below $GAP_GOAL_MS ms"
	else
		echo "media gap $g ms: not below $GAP_GOAL_MS ms; where the time went:"
		sed -n '/^timeline/,/^fact/p' "$E2E_OUT/logs/ha-udp-failover-scenario.log" 2>/dev/null | head -n 12
		return 1
	fi
}
# Until rtrA failed, rtrB heard its adverts on both links and stayed
# backup: none failed its checksum or went missing, no takeover. (Before
# router.nft's snat took only the LAN's flows, it rewrote the source of
# rtrA's WAN adverts to the VIP, and rtrB's WAN instance logged "Invalid
# VRRPv3 checksum" for each and timed out every second.)
vrrp_backup_quiet() {
	local f=$E2E_OUT/keepalived-rtrB-before-failure.out
	[ -s "$f" ] || { echo "no log of rtrB's keepalived from before the failure"; return 1; }
	grep -q 'Entering BACKUP STATE' "$f" || { echo "rtrB never entered BACKUP"; return 1; }
	if grep -E 'Invalid VRRPv3 checksum|Receive advertisement timeout|Entering MASTER|send advert error' "$f" | head -n 6 | grep .; then
		echo "rtrB's keepalived before rtrA failed: $(grep -c -E 'Invalid VRRPv3 checksum|Receive advertisement timeout' "$f") adverts bad or missing (lines above)"
		return 1
	fi
}
# Each router's notify program acted on one change of state at a time,
# every step of one change before the next one's first: in its log the
# state changes only at a "start" line. (With a notify_master and a
# notify_backup script, as until 2026-12-04, keepalived ran them side by
# side: under load rtrA's backup steps at its start went on beside its
# primary ones, and a late `conntrackd -t` could flush the new master's
# own table 5 s later.) The logs are those of the UDP scenario, both
# routers having been primary and backup.
notify_in_order() {
	local r f bad
	for r in A B; do
		f=/run/sipalg-ha-conntrackd-rtr$r.log
		[ -s "$f" ] || { echo "rtr$r: no notify log $f"; return 1; }
		grep -q ': primary: conntrackd -c ct: ok' "$f" || { echo "rtr$r never committed as primary"; return 1; }
		grep -q ': backup: conntrackd -n: ok' "$f" || { echo "rtr$r never asked for a resync as backup"; return 1; }
		bad=$(awk '$2 != prev && $3 != "start" { print "  line " NR ": " $0 } { prev = $2 }' "$f")
		if [ -n "$bad" ]; then
			echo "rtr$r: a step of one change ran after the next change had started:"
			echo "$bad"
			sed 's/^/  /' "$f"
			return 1
		fi
	done
}
# one line for both phones; a phone whose first call did not come up
# through rtrA lost nothing to the failover, and is named as not run
summary_line() {
	local calls=0 regs=0 g tcp="TCP phone not run"
	has_fact call-up-before || return 1
	# the call across the failover, the inbound call, the new call
	grep -q "^bye-rewritten" "$FACTS" || calls=$((calls + 1))
	grep -q "^inbound-call" "$FACTS" || calls=$((calls + 1))
	grep -q "^new-call" "$FACTS" || calls=$((calls + 1))
	grep -q "^refresh-same-port" "$FACTS" || regs=1
	if grep -q "^tcp-inbound-before" "$FACTS.tcp" 2>/dev/null; then
		tcp="TCP phone included"
		grep -q "^tcp-inbound-after" "$FACTS.tcp" || calls=$((calls + 1))
		grep -q "^tcp-refresh-same-port" "$FACTS.tcp" || regs=$((regs + 1))
	fi
	g=$(sed -n -E 's/^media-gap-ms (.*)/\1/p' "$FACTS")
	echo "HA failover: calls lost $calls, registrations lost $regs, media gap ${g:-none} ms ($tcp)"
}

if ! e2e_have conntrackd keepalived conntrack nft python3; then
	t_skip ha-udp-failover "conntrackd, keepalived, conntrack, nft or python3 missing (scripts/install-deps.sh installs them)"
	e2e_finish
	exit $?
fi
peer_module_load
e2e_test ha-udp-failover-scenario udp_failover
e2e_test ha-udp-call-before-failover has_fact call-up-before
e2e_test ha-vrrp-backup-hears-master-on-both-links vrrp_backup_quiet
e2e_test ha-udp-media-resumes-both-ways has_fact media-resumed
e2e_test ha-udp-media-gap-below-3s gap_measured
e2e_test ha-udp-bye-through-backup-rewritten has_fact bye-rewritten
e2e_test ha-udp-inbound-call-through-backup has_fact inbound-call
e2e_test ha-udp-register-refresh-same-port has_fact refresh-same-port
e2e_test ha-udp-new-call-through-backup has_fact new-call
e2e_test ha-udp-failover-back-to-rtrA udp_failback
e2e_test ha-notify-one-change-at-a-time notify_in_order
e2e_test ha-tcp-failover-scenario tcp_failover
e2e_test ha-tcp-inbound-call-before-failover has_fact tcp-inbound-before .tcp
e2e_test ha-tcp-inbound-call-on-connection-through-backup has_fact tcp-inbound-after .tcp
e2e_test ha-tcp-register-refresh-same-port has_fact tcp-refresh-same-port .tcp
summary_line | tee "$E2E_OUT/summary.txt" || true
e2e_test kernel-log-clean e2e_kernel_log_clean
e2e_finish
