#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# keepalived's notify program for an active/backup sipalg router pair, in
# the primary-backup pattern of conntrack-tools (see keepalived.conf):
#
#   ha-notify.sh CONNTRACKD_CONF WAN_VIP FIFO
#       as keepalived's vrrp_notify_fifo_script (keepalived adds the FIFO
#       as the last argument): reads the state changes of the sync group
#       from the FIFO and acts on each in turn, in the order they happened
#   ha-notify.sh CONNTRACKD_CONF WAN_VIP primary|backup|fault
#       one change, by hand
#
# Why a FIFO and not notify_master/notify_backup: keepalived starts each
# notify script as a process of its own when the state changes and does
# not wait for it, so two changes close together run side by side. A
# router that starts goes backup, then master 0.4 s later; under load its
# backup steps (the guard filled, `conntrackd -t`, which flushes the
# kernel's table 5 s later) ran beside and after its primary ones, and
# the new master flushed its own flows and pinholes (a CI run of
# 2026-12-04: rtrB's cache held only the SIP flow, the call's media never
# came back after the failover). keepalived writes the FIFO's lines in
# order ("GROUP "SIPALG_HA" MASTER 0"), and one process reads them.
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
# change was read) to /run/sipalg-ha-NAME.log (NAME: the conntrackd
# configuration's file name), to find where a takeover's time goes.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
conf=$1
vip=$2
src=$3
tag=sipalg-ha
name=${conf##*/}
log=/run/sipalg-ha-${name%.conf}.log

usage() {
	echo "usage: $0 CONNTRACKD_CONF WAN_VIP FIFO|primary|backup|fault" >&2
	exit 2
}
if [ -z "$conf" ] || [ -z "$vip" ] || [ -z "$src" ]; then
	usage
fi

# the time in ms into T, without a fork (bash's EPOCHREALTIME): on a slow
# machine every process started before the commit delays the media
now() {
	T=${EPOCHREALTIME/[.,]/}
	T=$((T / 1000))
}
say() {
	now
	echo "$tag: $state: $* at $T (+$((T - t0)) ms)" >>"$log"
}
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

# one change of state, $1
change() {
	state=$1
	now
	t0=$T
	say start
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
	esac
}

case $src in
primary | backup | fault)
	change "$src"
	exit 0
	;;
esac
if [ ! -p "$src" ]; then
	echo "$0: $src: not a FIFO, nor primary, backup or fault" >&2
	exit 2
fi

# Lines: GROUP|INSTANCE "NAME" STATE PRIORITY. Only the sync group's
# changes matter: both addresses move with it. The FIFO reaches its end
# when keepalived closes it (it stops or reloads, and then also sends
# SIGTERM, which ends this script); it is read again while it exists.
while [ -p "$src" ]; do
	while read -r kind _ st _; do
		[ "$kind" = GROUP ] || continue
		case $st in
		MASTER) change primary ;;
		BACKUP) change backup ;;
		FAULT) change fault ;;
		esac
	done <"$src"
done
exit 0
