#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot an installed Debian kernel under QEMU software emulation (TCG) with
# the host's root shared read-only over 9p, run one script inside it, and
# return that script's exit status.
#
#   scripts/vm/run.sh [-r RESULTS] KVER SCRIPT [ARGS...]
#
# SCRIPT runs as root in the guest, in the current directory (a host path,
# read-only there), with its output on this terminal. Variables named
# SIPALG_*, E2E_* and T_* are passed through. In the guest the results share
# is /run/results (SIPALG_RESULTS); on the host it is RESULTS, by default
# .build/vm-results/KVER. After the run it holds:
#   console.log  the guest's kernel console (boot, oopses)
#   output.log   the script's output
#   dmesg.txt    the guest's kernel log, copied just before power-off
#   status       the script's exit status
#
# Exit status: the script's own, or
#   124  the guest did not finish within SIPALG_VM_TIMEOUT seconds (default 900)
#   125  the guest stopped without reporting a status (panic, oops, boot failure)
# Tunables: SIPALG_VM_TIMEOUT, SIPALG_VM_MEM (MiB, 1024), SIPALG_VM_SMP (1),
# SIPALG_VM_QEMU_ARGS (more qemu arguments, split at spaces: "-icount shift=0").
# One vCPU by default: with two, TCG occasionally loses a race with the
# kernel's live code patching and 6.12 oopses at boot ("Oops: int3" in
# sched_clock_cpu, seen once in ~10 boots here).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)

res=
if [ "${1:-}" = "-r" ]; then
	res=${2:?-r needs a directory}
	shift 2
fi
if [ $# -lt 2 ]; then
	sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
kver=$1 script=$2
shift 2
res=${res:-$top/.build/vm-results/$kver}
timeout_s=${SIPALG_VM_TIMEOUT:-900}
kernel=/boot/vmlinuz-$kver

if [ ! -r "$kernel" ]; then
	if [ -e "$kernel" ]; then
		echo "vm: $kernel is readable by root only: run as root (sudo)" >&2
	else
		echo "vm: no $kernel (install linux-image-$kver)" >&2
	fi
	exit 2
fi
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "vm: qemu-system-x86_64 missing (apt-get install qemu-system-x86)" >&2; exit 2; }
case $script in
/*) ;;
*) script=$PWD/$script ;;
esac
[ -x "$script" ] || { echo "vm: $script is not an executable file" >&2; exit 2; }

initrd=$("$top/scripts/vm/mkinitramfs.sh" "$kver")
mkdir -p "$res"
res=$(cd "$res" && pwd)
rm -f "$res"/{status,job.sh,console.log,output.log,dmesg.txt}

# the job: environment, working directory, command line, all shell-quoted
{
	echo "# written by scripts/vm/run.sh"
	while read -r v; do
		printf 'export %s=%q\n' "$v" "${!v}"
	done < <(compgen -e | grep -E '^(SIPALG|E2E|T)_' || true)
	echo "export SIPALG_RESULTS=/run/results"
	printf 'cd %q || exit 126\n' "$PWD"
	printf 'exec'
	printf ' %q' "$script" "$@"
	echo
} >"$res/job.sh"

append="console=ttyS0 loglevel=7 panic=-1 oops=panic mitigations=off"
append+=" sipalgvm.stage2=$top/scripts/vm/guest.sh"
# the guest has its own /tmp and /var/tmp: host directories the job needs
# from there (the checkout, the working directory, the script's) are bound
# back into it
declare -A bound=()
for d in "$top" "$PWD" "$(dirname "$script")"; do
	case $d in
	/tmp | /tmp/* | /var/tmp | /var/tmp/*) ;;
	*) continue ;;
	esac
	case $d in
	*[[:space:]]*) echo "vm: $d has a space in its name, which the guest's kernel command line cannot carry: use a checkout path without one" >&2; exit 2 ;;
	esac
	# a directory inside one bound already comes with it
	for b in "${!bound[@]}"; do
		case $d/ in "$b"/*) continue 2 ;; esac
	done
	bound[$d]=1
	append+=" sipalgvm.bind=$d"
done

start=$(date +%s)
set +e
# shellcheck disable=SC2086 # SIPALG_VM_QEMU_ARGS is split on purpose
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-accel tcg -cpu max -m "${SIPALG_VM_MEM:-1024}" -smp "${SIPALG_VM_SMP:-1}" \
	-nodefaults -no-user-config -display none -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	-fsdev local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-fsdev local,id=results,path="$res",security_model=none \
	-device virtio-9p-pci,fsdev=results,mount_tag=results \
	-serial "file:$res/console.log" \
	-chardev "stdio,id=out,signal=off,logfile=$res/output.log" \
	-serial chardev:out ${SIPALG_VM_QEMU_ARGS:-} </dev/null
qrc=$?
set -e
elapsed=$(( $(date +%s) - start ))

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vm: TIMEOUT: guest $kver still running after ${timeout_s} s: killed" \
		"(console: $res/console.log)" >&2
	exit 124
fi
if [ ! -s "$res/status" ]; then
	echo "vm: guest $kver stopped after ${elapsed} s without reporting a status" \
		"(qemu exit $qrc); console: $res/console.log" >&2
	grep -E -m 20 -A 12 'Kernel panic|Oops|BUG:|WARNING:|vm-init: FATAL' \
		"$res/console.log" 2>/dev/null | sed 's/^/    /' >&2 || true
	exit 125
fi
rc=$(cat "$res/status")
echo "vm: guest $kver finished in ${elapsed} s, status $rc (logs: $res)" >&2
exit "$rc"
