# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Run tests/e2e/sipp/sippeer.py on either side of the test network (source
# after topo.sh). PEER_FAM=6 makes both ends use IPv6.
#
#   peer_server TAG [ARGS]   start the server in sa-srv (background), wait
#                            until it listens; log $E2E_OUT/TAG-server.log
#   peer_phone TAG [ARGS]    run the phone in sa-cli; its exit status
#   server_ok TAG            wait for the server; its exit status
PEER=$(dirname "${BASH_SOURCE[0]}")/sippeer.py
PEER_FAM=${PEER_FAM:-4}

peer__ips() {
	if [ "$PEER_FAM" = 6 ]; then
		P_CLI=$CLI6 P_SRV=$SRV6 P_SRVHP="[$SRV6]:5060"
	else
		P_CLI=$CLI4 P_SRV=$SRV4 P_SRVHP="$SRV4:5060"
	fi
}
peer__ips

peer_server() {
	local tag=$1 l=u
	shift
	peer__ips
	[[ " $* " == *" --tcp "* ]] && l=t
	(exec ip netns exec "$TOPO_NS_SRV" python3 "$PEER" server --bind "$P_SRV" "$@" \
		>"$E2E_OUT/$tag-server.log" 2>&1) &
	SERVER_PID=$!
	TOPO_PIDS+=("$SERVER_PID")
	for _ in $(seq 1 50); do
		srv ss -Hln$l | grep -q ':5060 ' && return 0
		sleep 0.1
	done
	cat "$E2E_OUT/$tag-server.log"
	return 1
}

peer_phone() {
	local tag=$1 rc=0
	shift
	peer__ips
	cli python3 "$PEER" phone --bind "$P_CLI" --server "$P_SRVHP" "$@" \
		>"$E2E_OUT/$tag-phone.log" 2>&1 || rc=$?
	sed 's/^/phone: /' "$E2E_OUT/$tag-phone.log"
	return "$rc"
}

server_ok() {
	local tag=$1 rc=0
	wait "$SERVER_PID" || rc=$?
	sed 's/^/server: /' "$E2E_OUT/$tag-server.log"
	return "$rc"
}

# load sipalg, unless the scenario runs with another helper (t-69 runs the
# files with TOPO_HELPER_TYPE=sip: the in-tree helper and sipalg cannot
# both hold port 5060)
peer_module_load() {
	[ "$TOPO_HELPER_TYPE" = sipalg ] || return 0
	e2e_module_load "$@"
}
