# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The end-to-end test network: three network namespaces joined by veth pairs,
# the router in the middle masquerading the client's traffic with a NAT that
# changes source ports, and the sipalg helper attached on the router.
#
#     client (sa-cli)              router (sa-rtr)                 server (sa-srv)
#    +----------------+      +------------------------------+      +-----------------+
#    | eth0           |      | lan0                    wan0 |      | eth0            |
#    | 192.168.1.2/24 +------+ 192.168.1.1   198.51.100.1/24+------+ 198.51.100.2/24 |
#    | fd00:1::2/64   | veth | fd00:1::1   2001:db8:100::1  | veth | 2001:db8:100::2 |
#    | default via .1 |      |  forwarding, nftables:       |      | (no route back  |
#    +----------------+      |  ct helper "sipalg" udp/tcp, |      |  to 192.168.1.0 |
#                            |  masquerade fully-random     |      |  or fd00:1::/64)|
#                            |  out of wan0                 |      +-----------------+
#                            +------------------------------+
#
# Source it after lib.sh. Then:
#
#   topo_up [--helper nft|iptables|none] [--nat fully-random|random|plain|none]
#           [--ports "5060 5080"]
#                      build the namespaces, addresses, routes and rules
#                      (default: nft ct helper, masquerade fully-random, 5060)
#   topo_down          remove all of it (also safe when nothing is up)
#   cli CMD / rtr CMD / srv CMD      run CMD in that namespace
#   topo_cap_start TAG start tcpdump on the client's eth0 and the server's eth0,
#                      writing $E2E_OUT/TAG-client.pcap and TAG-server.pcap
#                      (paths also in $CAP_CLI and $CAP_SRV)
#   topo_cap_stop      stop both captures and wait until the files are complete
#   topo_ct            the router's conntrack table (conntrack -L)
#
# SIP in a capture (see tests/e2e/sipcap.sh for the details):
#   sip_msgs PCAP                    every SIP message, one block each
#   sip_field PCAP MATCH FIELD [N]   FIELD of the Nth message whose start line
#                                    matches the regex MATCH (N defaults to 1)
#   sip_src PCAP MATCH [N] / sip_dst  its source / destination ip:port
#
# Addresses: CLI4 CLI6 RTR_LAN4 RTR_LAN6 RTR_WAN4 RTR_WAN6 SRV4 SRV6.
# TOPO_HELPER_TYPE names the conntrack helper type (default sipalg).

# shellcheck source=tests/e2e/sipcap.sh
. "$(dirname "${BASH_SOURCE[0]}")/sipcap.sh"

TOPO_NS_CLI=sa-cli
TOPO_NS_RTR=sa-rtr
TOPO_NS_SRV=sa-srv
TOPO_HELPER_TYPE=${TOPO_HELPER_TYPE:-sipalg}
CLI4=192.168.1.2
CLI6=fd00:1::2
RTR_LAN4=192.168.1.1
RTR_LAN6=fd00:1::1
RTR_WAN4=198.51.100.1
RTR_WAN6=2001:db8:100::1
SRV4=198.51.100.2
SRV6=2001:db8:100::2
# what the last topo_up built (for tests that want to know)
export TOPO_HELPER='' TOPO_PORTS=''
TOPO_PIDS=()

cli() { ip netns exec "$TOPO_NS_CLI" "$@"; }
rtr() { ip netns exec "$TOPO_NS_RTR" "$@"; }
srv() { ip netns exec "$TOPO_NS_SRV" "$@"; }

topo__ns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
		net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

topo_up() {
	local helper=nft nat=fully-random ports=5060 natstmt pset p
	while [ $# -gt 0 ]; do
		case $1 in
		--helper) helper=$2; shift 2 ;;
		--nat) nat=$2; shift 2 ;;
		--ports) ports=$2; shift 2 ;;
		*) echo "topo_up: unknown option $1" >&2; return 2 ;;
		esac
	done
	TOPO_HELPER=$helper
	TOPO_PORTS=$ports
	topo_down
	topo__ns "$TOPO_NS_CLI"
	topo__ns "$TOPO_NS_RTR"
	topo__ns "$TOPO_NS_SRV"

	ip -n "$TOPO_NS_CLI" link add eth0 type veth peer name lan0 netns "$TOPO_NS_RTR"
	ip -n "$TOPO_NS_SRV" link add eth0 type veth peer name wan0 netns "$TOPO_NS_RTR"

	ip -n "$TOPO_NS_CLI" addr add "$CLI4/24" dev eth0
	ip -n "$TOPO_NS_CLI" addr add "$CLI6/64" dev eth0 nodad
	ip -n "$TOPO_NS_RTR" addr add "$RTR_LAN4/24" dev lan0
	ip -n "$TOPO_NS_RTR" addr add "$RTR_LAN6/64" dev lan0 nodad
	ip -n "$TOPO_NS_RTR" addr add "$RTR_WAN4/24" dev wan0
	ip -n "$TOPO_NS_RTR" addr add "$RTR_WAN6/64" dev wan0 nodad
	ip -n "$TOPO_NS_SRV" addr add "$SRV4/24" dev eth0
	ip -n "$TOPO_NS_SRV" addr add "$SRV6/64" dev eth0 nodad
	ip -n "$TOPO_NS_CLI" link set eth0 up
	ip -n "$TOPO_NS_RTR" link set lan0 up
	ip -n "$TOPO_NS_RTR" link set wan0 up
	ip -n "$TOPO_NS_SRV" link set eth0 up
	ip -n "$TOPO_NS_CLI" route add default via "$RTR_LAN4"
	ip -n "$TOPO_NS_CLI" -6 route add default via "$RTR_LAN6"
	rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

	case $nat in
	fully-random) natstmt="masquerade fully-random" ;;
	random) natstmt="masquerade random" ;;
	plain) natstmt="masquerade" ;;
	none) natstmt="" ;;
	*) echo "topo_up: --nat $nat?" >&2; return 2 ;;
	esac
	pset=$(echo "$ports" | tr ' ' ',')
	{
		echo "table inet sipalg_topo {"
		if [ "$helper" = nft ]; then
			echo "  ct helper sip-udp { type \"$TOPO_HELPER_TYPE\" protocol udp; l3proto inet; }"
			echo "  ct helper sip-tcp { type \"$TOPO_HELPER_TYPE\" protocol tcp; l3proto inet; }"
			echo "  chain prerouting {"
			echo "    type filter hook prerouting priority filter; policy accept;"
			echo "    udp dport { $pset } ct helper set \"sip-udp\""
			echo "    tcp dport { $pset } ct helper set \"sip-tcp\""
			echo "  }"
		fi
		echo "  chain postrouting {"
		echo "    type nat hook postrouting priority srcnat; policy accept;"
		[ -z "$natstmt" ] || echo "    oifname \"wan0\" $natstmt"
		echo "  }"
		echo "}"
	} >"$E2E_OUT/topo-ruleset.nft"
	rtr nft -f "$E2E_OUT/topo-ruleset.nft"

	case $helper in
	nft | none) ;;
	iptables)
		for p in $ports; do
			rtr iptables -t raw -A PREROUTING -p udp --dport "$p" -j CT --helper "$TOPO_HELPER_TYPE"
			rtr iptables -t raw -A PREROUTING -p tcp --dport "$p" -j CT --helper "$TOPO_HELPER_TYPE"
			rtr ip6tables -t raw -A PREROUTING -p udp --dport "$p" -j CT --helper "$TOPO_HELPER_TYPE"
			rtr ip6tables -t raw -A PREROUTING -p tcp --dport "$p" -j CT --helper "$TOPO_HELPER_TYPE"
		done
		;;
	*) echo "topo_up: --helper $helper?" >&2; return 2 ;;
	esac

	# prove the path once, both families (busybox: iputils may be missing)
	cli busybox ping -c 1 -W 5 "$SRV4" >/dev/null
	cli busybox ping6 -c 1 -W 5 "$SRV6" >/dev/null
}

topo_down() {
	local pid ns
	for pid in "${TOPO_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${TOPO_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	TOPO_PIDS=()
	for ns in "$TOPO_NS_CLI" "$TOPO_NS_RTR" "$TOPO_NS_SRV"; do
		[ -e "/run/netns/$ns" ] || continue
		# processes still in the namespace (a sipp started by hand, ...)
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
		ip netns del "$ns"
	done
	return 0
}

# the router's conntrack table, one flow a line
topo_ct() {
	rtr conntrack -L "$@" 2>/dev/null
}

# background a command in a namespace and remember it for topo_down
topo_bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	TOPO_PIDS+=("$!")
}

topo_cap_start() {
	local tag=${1:?topo_cap_start TAG}
	CAP_CLI=$E2E_OUT/$tag-client.pcap
	CAP_SRV=$E2E_OUT/$tag-server.pcap
	TOPO_CAP_PIDS=()
	ip netns exec "$TOPO_NS_CLI" tcpdump -Z root -U --immediate-mode -n -s 0 -i eth0 -w "$CAP_CLI" \
		'not icmp6 and not arp' 2>"$E2E_OUT/$tag-client.tcpdump.log" &
	TOPO_CAP_PIDS+=("$!")
	ip netns exec "$TOPO_NS_SRV" tcpdump -Z root -U --immediate-mode -n -s 0 -i eth0 -w "$CAP_SRV" \
		'not icmp6 and not arp' 2>"$E2E_OUT/$tag-server.tcpdump.log" &
	TOPO_CAP_PIDS+=("$!")
	TOPO_PIDS+=("${TOPO_CAP_PIDS[@]}")
	# tcpdump says "listening on" once its socket is ready
	local _
	for _ in $(seq 1 100); do
		if grep -q listening "$E2E_OUT/$tag-client.tcpdump.log" 2>/dev/null &&
			grep -q listening "$E2E_OUT/$tag-server.tcpdump.log" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "topo_cap_start: tcpdump did not start" >&2
	cat "$E2E_OUT/$tag-"*.tcpdump.log >&2
	return 1
}

topo_cap_stop() {
	local pid
	sleep 0.3
	for pid in "${TOPO_CAP_PIDS[@]}"; do
		kill -INT "$pid" 2>/dev/null || true
	done
	for pid in "${TOPO_CAP_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	TOPO_CAP_PIDS=()
}

# SIPp on either side. Options before the SIPp arguments:
#   -6   IPv6 (default IPv4)        -t   TCP (default UDP)
#   -s SCENARIO   a built-in scenario name or an XML file (default uac / uas)
# The rest goes to sipp as is. Logs: $E2E_OUT/sipp-TEST-uas-N.log, ...-uac-N.log
# (TEST: the e2e_test name).
TOPO_SIPP_N=0
topo__sipp_opts() {
	SIPP_FAM=4 SIPP_T=u1 SIPP_SCEN=
	while [ $# -gt 0 ]; do
		case $1 in
		-6) SIPP_FAM=6; shift ;;
		-t) SIPP_T=t1; shift ;;
		-s) SIPP_SCEN=$2; shift 2 ;;
		*) break ;;
		esac
	done
	SIPP_REST=("$@")
}

topo__scen() {
	if [ -f "$1" ]; then echo "-sf $1"; else echo "-sn $1"; fi
}

# start a SIPp UAS in the server namespace, listening on SRV4/SRV6 port 5060;
# returns once it listens
topo_sipp_uas() {
	local ip log _ proto scen
	topo__sipp_opts "$@"
	TOPO_SIPP_N=$((TOPO_SIPP_N + 1))
	log=$E2E_OUT/sipp-${E2E_TEST:-x}-uas-$TOPO_SIPP_N.log
	ip=$SRV4
	[ "$SIPP_FAM" = 6 ] && ip=$SRV6
	scen=$(topo__scen "${SIPP_SCEN:-uas}")
	# shellcheck disable=SC2086
	(cd "$E2E_OUT" && exec ip netns exec "$TOPO_NS_SRV" sipp $scen -i "$ip" -p 5060 \
		-t "$SIPP_T" -nostdin "${SIPP_REST[@]}" >"$log" 2>&1) &
	TOPO_PIDS+=("$!")
	proto=u
	[ "$SIPP_T" = t1 ] && proto=t
	for _ in $(seq 1 100); do
		if [[ $(srv ss -Hln"$proto" "src ${ip/*:*/[$ip]}") == *":5060 "* ]]; then
			return 0
		fi
		sleep 0.1
	done
	echo "topo_sipp_uas: sipp does not listen on $ip:5060" >&2
	cat "$log" >&2
	return 1
}

# place calls from the client namespace to the UAS (default one call, -m 1);
# exit status is SIPp's: 0 when every call succeeded
topo_sipp_uac() {
	local ip dst log rc scen
	topo__sipp_opts "$@"
	TOPO_SIPP_N=$((TOPO_SIPP_N + 1))
	log=$E2E_OUT/sipp-${E2E_TEST:-x}-uac-$TOPO_SIPP_N.log
	ip=$CLI4 dst=$SRV4:5060
	[ "$SIPP_FAM" = 6 ] && ip=$CLI6 dst="[$SRV6]:5060"
	scen=$(topo__scen "${SIPP_SCEN:-uac}")
	set +e
	# shellcheck disable=SC2086
	(cd "$E2E_OUT" && exec ip netns exec "$TOPO_NS_CLI" sipp $scen -i "$ip" -p 5060 \
		-t "$SIPP_T" -m 1 -nostdin -timeout 30 -timeout_error \
		"${SIPP_REST[@]}" "$dst" >"$log" 2>&1)
	rc=$?
	set -e
	if [ "$rc" != 0 ]; then
		echo "topo_sipp_uac: sipp exit $rc, log $log:" >&2
		grep -v -E '^\s*$|^-+$' "$log" | tail -n 15 >&2
	fi
	return "$rc"
}
