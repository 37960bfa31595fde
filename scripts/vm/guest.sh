#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Second stage of the test guest: PID 1 after switch_root into the host's
# read-only root. Finishes the mounts, runs the job that scripts/vm/run.sh
# wrote into the results share (/run/results/job.sh) with its output on the
# second serial port, then leaves the job's exit status and the kernel log in
# the results share and powers off.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8 TERM=dumb
R=/run/results
out=/dev/ttyS1

finish() {
	dmesg >"$R/dmesg.txt" 2>&1
	echo "$1" >"$R/status"
	sync
	busybox poweroff -f
	sleep 10
}

mkdir -p /dev/pts /dev/shm /run/lock
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname sipalg-vm
ip link set lo up
stty -F "$out" raw -echo 2>/dev/null

if [ ! -r "$R/job.sh" ]; then
	echo "vm-guest: no job in $R" >"$out"
	finish 127
fi
echo "vm-guest: kernel $(uname -r), running the job" >"$out"
bash "$R/job.sh" </dev/null >"$out" 2>&1
finish $?
