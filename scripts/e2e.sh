#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests on real Debian kernels: for each kernel, build sipalg.ko,
# boot the kernel under QEMU (scripts/vm/run.sh) and run tests/e2e/run.sh in
# it. Prints every test as "PASS [6.1] name" and closes with one
# "N passed, M failed, K skipped" over all kernels.
#
#   scripts/e2e.sh [WORD...]    WORDs select test files (see tests/e2e/run.sh)
#
# Kernels: the newest installed kernel of each series (Debian's 6.1 and 6.12
# from bookworm, 7.x from sid once `scripts/install-deps.sh --kernel sid` set
# it up; see below), or the list in SIPALG_KERNELS (e.g. "6.1.0-57-amd64").
# A supported series that is missing is a SKIP line saying how to add it.
# Logs of each run:
# .build/vm-results/KVER/ (console.log, output.log, dmesg.txt, captures).
# SIPALG_KO_DIR=DIR tests DIR/KVER/sipalg.ko instead of building one.
# SIPALG_E2E_JOBS: kernels tested at the same time (default 2).
# SIPALG_VM_TIMEOUT: seconds one guest may run (default here 1800).
# While another e2e or demo run holds .build/vm.lock (engineers sharing one
# tree), this run builds and keeps its results in .build/run-PID/ instead.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2

mkdir -p "$top/.build"
exec 9>>"$top/.build/vm.lock"
resroot=$top/.build/vm-results
buildroot=$top/.build
if ! flock -n 9; then
	buildroot=$top/.build/run-$$
	resroot=$buildroot/vm-results
	echo "== e2e: another run holds .build/vm.lock: this one uses $buildroot"
	trap 'rm -rf "$buildroot"/*-amd64' EXIT
fi

# The kernels to test: of every installed Debian kernel (generic flavour,
# an image in /boot, modules in /usr/lib/modules), the newest of each series
# (6.1, 6.12, 7.2, ...), if sipalg.ko can be built for it: its headers on
# the host, or in the sid chroot (scripts/sid.sh), or a module in
# SIPALG_KO_DIR. A supported series with no such kernel is a SKIP line that
# says how to get it.
sid_root=$("$top/scripts/sid.sh" root)
skips=()
buildable() {
	local k=$1
	[ -d "/usr/lib/modules/$k/build" ] || [ -d "$sid_root/usr/lib/modules/$k/build" ] ||
		{ [ -n "${SIPALG_KO_DIR:-}" ] && [ -r "$SIPALG_KO_DIR/$k/sipalg.ko" ]; }
}
installed_kernels() {
	local k
	for k in $(find /usr/lib/modules -mindepth 1 -maxdepth 1 -printf "%f\n" 2>/dev/null | sort -V); do
		case $k in *-cloud-amd64 | *-rt-amd64) continue ;; [0-9]*.*-amd64) ;; *) continue ;; esac
		[ -r "/boot/vmlinuz-$k" ] && [ -d "/usr/lib/modules/$k/kernel" ] || continue
		echo "$(echo "$k" | cut -d. -f1,2 | sed 's/-.*//') $k"
	done | awk '{ if (!($1 in last)) order[n++] = $1; last[$1] = $2 }
		END { for (i = 0; i < n; i++) print order[i], last[order[i]] }'
}

if [ -n "${SIPALG_KERNELS:-}" ]; then
	read -r -a kernels <<<"$SIPALG_KERNELS"
else
	kernels=()
	series=()
	while read -r s k; do
		series+=("$s")
		if buildable "$k"; then
			kernels+=("$k")
		else
			skips+=("SKIP [$s] e2e: $k is installed but sipalg.ko cannot be built for it: no /usr/lib/modules/$k/build (install linux-headers-$k; for Debian sid's kernel: sudo scripts/install-deps.sh --kernel sid)")
		fi
	done < <(installed_kernels)
	# the supported series (README): 6.1 and 6.12 from bookworm, 7.x from sid
	for want in 6.1 6.12 7; do
		found=0
		for s in "${series[@]}"; do
			case $want in
			7) case $s in 7.*) found=1 ;; esac ;;
			*) [ "$s" = "$want" ] && found=1 ;;
			esac
		done
		[ "$found" = 1 ] && continue
		case $want in
		7) skips+=("SKIP [7.x] e2e: no Linux 7.x kernel installed: Debian sid's newest kernel is tested once set up with 'sudo scripts/install-deps.sh --kernel sid' (a sid build chroot in ~/.cache/sipalg/sid-root, the kernel in /boot and /usr/lib/modules)") ;;
		*) skips+=("SKIP [$want] e2e: no Debian $want kernel installed (sudo scripts/install-deps.sh)") ;;
		esac
	done
fi
for l in "${skips[@]}"; do echo "$l"; done

# one kernel: build, boot, run; everything it prints also lands in
# RES/host.log, and its counts and time in RES/counts
run_kernel() {
	local k=$1 tag res st ko bt rc p f s el
	shift
	tag=$(echo "$k" | cut -d. -f1,2)
	res=$resroot/$k
	st=$(date +%s)
	echo "== [$tag] $k: building sipalg.ko"
	if [ -n "${SIPALG_KO_DIR:-}" ]; then
		ko=$(cd "$SIPALG_KO_DIR" && pwd)/$k/sipalg.ko
		echo "== [$tag] using $ko"
	elif ! ko=$("$top/scripts/build-kmod.sh" "$k" "$buildroot/$k" 2>"$res/build.err"); then
		tail -n 40 "$res/build.err" | sed "s/^/    /"
		echo "FAIL [$tag] build: sipalg.ko does not build against $k"
		echo "0 1 0 $(( $(date +%s) - st )) 0" >"$res/counts"
		return
	fi
	bt=$(( $(date +%s) - st ))
	echo "== [$tag] $k: booting the guest, running tests/e2e"
	SIPALG_VM_TIMEOUT=${SIPALG_VM_TIMEOUT:-1800} SIPALG_KO=$ko \
		"$top/scripts/vm/run.sh" -r "$res" "$k" "$top/tests/e2e/run.sh" "$@" 2>&1 |
		sed -u -E "s/^(PASS|FAIL|SKIP) /\1 [$tag] /; s/^([0-9]+ passed, [0-9]+ failed.*)/[$tag] \1/" |
		tee "$res/host.log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c "^PASS \[$tag\] " "$res/host.log")
	f=$(grep -c "^FAIL \[$tag\] " "$res/host.log")
	s=$(grep -c "^SKIP \[$tag\] " "$res/host.log")
	if ! grep -E "^\[$tag\] [0-9]+ passed, [0-9]+ failed" "$res/host.log" >/dev/null; then
		case $rc in
		124) why="timed out (SIPALG_VM_TIMEOUT)" ;;
		125) why="stopped without reporting (panic or oops?)" ;;
		*) why="exit $rc without a test summary" ;;
		esac
		echo "FAIL [$tag] guest: $why; console: $res/console.log"
		f=$((f + 1))
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL [$tag] guest: exit $rc with no failed test"
		f=$((f + 1))
	fi
	el=$(( $(date +%s) - st ))
	echo "$p $f $s $el $bt" >"$res/counts"
	echo "== [$tag] $k: $p passed, $f failed, $s skipped in $el s (logs: $res)"
}

# Kernels run side by side (SIPALG_E2E_JOBS, default 2: the guests are mostly
# single-threaded). The first kernel's output streams live, the others'
# follow in order; every result line names its kernel.
jobs=${SIPALG_E2E_JOBS:-2}
t0=$(date +%s)
# the policy tests drive the module with the host's sipalgctl build
mkdir -p "$resroot"
if ! make -s -C "$top/userspace" >"$resroot/sipalgctl-build.log" 2>&1; then
	echo "== e2e: sipalgctl does not build (the policy tests will fail):"
	tail -n 20 "$resroot/sipalgctl-build.log" | sed "s/^/    /"
fi
pids=()
for i in "${!kernels[@]}"; do
	k=${kernels[$i]}
	rm -rf "${resroot:?}/$k"
	mkdir -p "$resroot/$k"
	if [ "$jobs" -gt 1 ] && [ "$i" -lt "$jobs" ]; then
		run_kernel "$k" "$@" >"$resroot/$k/stream.log" 2>&1 &
		pids[i]=$!
	fi
done
for i in "${!kernels[@]}"; do
	k=${kernels[$i]}
	if [ -n "${pids[$i]:-}" ]; then
		tail -n +1 -f --pid="${pids[$i]}" "$resroot/$k/stream.log"
		wait "${pids[$i]}"
	else
		run_kernel "$k" "$@"
	fi
done

P=0 F=0 S=${#skips[@]}
[ "${#kernels[@]}" -gt 0 ] || { echo "FAIL e2e: no kernel to test"; F=$((F + 1)); }
for k in "${kernels[@]}"; do
	tag=$(echo "$k" | cut -d. -f1,2)
	if [ -r "$resroot/$k/counts" ]; then
		read -r p f s el bt <"$resroot/$k/counts"
	else
		echo "FAIL [$tag] e2e: no result for $k"
		p=0 f=1 s=0 el=0 bt=0
	fi
	P=$((P + p)) F=$((F + f)) S=$((S + s))
	echo "== time [$tag] $k: build $bt s, boot + tests $((el - bt)) s"
done
echo "== e2e: $(( $(date +%s) - t0 )) s over ${#kernels[@]} kernel(s), $jobs at a time"
echo "$P passed, $F failed, $S skipped"
[ "$F" = 0 ]
