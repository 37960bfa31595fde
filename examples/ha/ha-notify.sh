#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# keepalived notify script for an active/backup sipalg router pair, in the
# primary-backup pattern of conntrack-tools (see keepalived.conf):
#
#   ha-notify.sh primary|backup|fault CONNTRACKD_CONF WAN_VIP
#
# primary: this router took the addresses. Write the other router's flows
#   (conntrackd's external cache) into the kernel: first the conntracks,
#   then the expectations (the SIP media pinholes), which need their master
#   conntracks to be there. A plain "conntrackd -c" commits conntracks
#   only. Then let new flows to WAN_VIP in again (router.nft's takeover
#   set), drop the caches and start sending this router's table to the peer.
# backup/fault: close the takeover guard again, shorten the kernel's
#   timeouts of flows this router no longer forwards, and ask the peer
#   for its whole table.
#
# Each step logs one line with the time (ms since the epoch and since the
# script started) to /run/sipalg-ha-NAME.log (NAME: the
# conntrackd configuration's file name), to find where a takeover's time
# goes.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
state=$1
conf=$2
vip=$3
tag=sipalg-ha
name=${conf##*/}
log=/run/sipalg-ha-${name%.conf}.log

# the time in ms into T, without a fork (bash's EPOCHREALTIME): on a slow
# machine every process started before the commit delays the media
now() {
	T=${EPOCHREALTIME/[.,]/}
	T=$((T / 1000))
}
now
t0=$T
say() {
	now
	echo "$tag: $state: $* at $T (+$((T - t0)) ms)" >>"$log"
}
say start
ctd() {
	if out=$(conntrackd -C "$conf" "$@" 2>&1); then
		say "conntrackd $*: ok $out"
	else
		say "conntrackd $*: FAILED $out"
	fi
}
guard() { # add|delete
	if nft "$1" element inet sipalg_ha takeover "{ $vip }" 2>/dev/null; then
		say "takeover guard $1"
	fi
}

case $state in
primary)
	ctd -c ct
	ctd -c expect
	guard delete
	ctd -f
	ctd -R
	ctd -B
	;;
backup | fault)
	guard add
	ctd -t
	[ "$state" = backup ] && ctd -n
	;;
*)
	echo "usage: $0 primary|backup|fault CONNTRACKD_CONF WAN_VIP" >&2
	exit 2
	;;
esac
exit 0
