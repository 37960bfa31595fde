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
# SIPALG_E2E_JOBS: guests run at the same time (default 2).
# SIPALG_E2E_SHARDS: guests per kernel, each running part of the files
# (default 2; shard 1's logs are in KVER/, the others' in KVER/shard-N/).
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

# The test files, as tests/e2e/run.sh selects them by the WORDs given
files=()
for f in "$top"/tests/e2e/t-*.sh; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .sh)
	if [ $# -gt 0 ]; then
		keep=0
		for w in "$@"; do
			[[ $b.sh == *"$w"* ]] && keep=1
		done
		[ "$keep" = 1 ] || continue
	fi
	files+=("$b")
done

# Each kernel's files are split into SIPALG_E2E_SHARDS guests (default 2),
# so that the two cores stay busy to the end: three kernels are six guests
# of half the suite, not a pair and then one alone. The split balances the
# files' times in the last run (.build/e2e-times, "FILE SECONDS"; before
# the first, tests/e2e/file-times), longest first onto the shard with the
# least; a file with no time counts 60 s.
shards=${SIPALG_E2E_SHARDS:-2}
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "e2e: SIPALG_E2E_SHARDS must be a number of guests, not '$shards'" >&2; exit 2; }
[ "$shards" -gt "${#files[@]}" ] && shards=${#files[@]}
[ "$shards" -ge 1 ] || shards=1
times_file=$top/.build/e2e-times
times_in=$times_file
[ -s "$times_in" ] || times_in=$top/tests/e2e/file-times
declare -A shard_of=()
split_files() {
	local -A secs=()
	local -a load=()
	local f i best name t
	for ((i = 0; i < shards; i++)); do load[i]=0; done
	if [ -s "$times_in" ]; then
		while read -r name t; do
			[[ $name == t-* && $t =~ ^[0-9]+$ ]] && secs[$name]=$t
		done <"$times_in"
	fi
	# longest first, each onto the shard with the least so far
	while read -r t f; do
		best=0
		for ((i = 1; i < shards; i++)); do
			[ "${load[i]}" -lt "${load[best]}" ] && best=$i
		done
		shard_of[$f]=$best
		load[best]=$((load[best] + t))
	done < <(for f in "${files[@]}"; do
		t=${secs[$f]:-0}
		[ "$t" -gt 0 ] || t=60
		echo "$t $f"
	done | sort -k1,1nr -k2)
}
split_files
shard_files() { # N: the files of shard N, as run.sh WORDs
	local f
	for f in "${files[@]}"; do
		[ "${shard_of[$f]}" = "$1" ] && echo "$f.sh"
	done
}

# the results of shard N of kernel K: .build/vm-results/K, or K/shard-N+1
shard_res() {
	if [ "$2" = 0 ]; then echo "$resroot/$1"; else echo "$resroot/$1/shard-$(($2 + 1))"; fi
}

# build sipalg.ko for kernel K (once; the shard that finds it built uses it)
build_ko() {
	local k=$1 tag=$2 res=$resroot/$1
	if [ -n "${SIPALG_KO_DIR:-}" ]; then
		echo "$(cd "$SIPALG_KO_DIR" && pwd)/$k/sipalg.ko"
		return 0
	fi
	(
		flock 8
		if [ -s "$res/ko" ]; then
			cat "$res/ko"
		elif [ -e "$res/ko-failed" ]; then
			exit 1
		elif "$top/scripts/build-kmod.sh" "$k" "$buildroot/$k" >"$res/ko.tmp" 2>"$res/build.err"; then
			mv "$res/ko.tmp" "$res/ko"
			cat "$res/ko"
		else
			: >"$res/ko-failed"
			exit 1
		fi
	) 8>>"$res/ko.lock"
}

# one guest: shard N of kernel K; everything it prints also lands in
# RES/host.log, and its counts and time in RES/counts
run_shard() {
	local k=$1 n=$2 tag res st ko bt rc p f s el name
	local -a words
	tag=$(echo "$k" | cut -d. -f1,2)
	res=$(shard_res "$k" "$n")
	name="[$tag]"
	[ "$shards" -gt 1 ] && name="[$tag] shard $((n + 1))/$shards"
	mkdir -p "$res"
	mapfile -t words < <(shard_files "$n")
	st=$(date +%s)
	if [ "${#words[@]}" = 0 ]; then
		echo "0 0 0 0 0" >"$res/counts"
		return
	fi
	echo "== $name $k: sipalg.ko"
	if ! ko=$(build_ko "$k" "$tag"); then
		if [ "$n" = 0 ]; then
			tail -n 40 "$resroot/$k/build.err" | sed "s/^/    /"
			echo "FAIL [$tag] build: sipalg.ko does not build against $k"
			echo "0 1 0 $(( $(date +%s) - st )) 0" >"$res/counts"
		else
			echo "0 0 0 $(( $(date +%s) - st )) 0" >"$res/counts"
		fi
		return
	fi
	bt=$(( $(date +%s) - st ))
	echo "== $name $k: booting the guest, running tests/e2e: ${words[*]}"
	SIPALG_VM_TIMEOUT=${SIPALG_VM_TIMEOUT:-1800} SIPALG_KO=$ko \
		"$top/scripts/vm/run.sh" -r "$res" "$k" "$top/tests/e2e/run.sh" "${words[@]}" 2>&1 |
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
		echo "FAIL [$tag] guest of shard $((n + 1)): $why; console: $res/console.log"
		f=$((f + 1))
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL [$tag] guest of shard $((n + 1)): exit $rc with no failed test"
		f=$((f + 1))
	fi
	el=$(( $(date +%s) - st ))
	echo "$p $f $s $el $bt" >"$res/counts"
	echo "== $name $k: $p passed, $f failed, $s skipped in $el s (logs: $res)"
}

# The guests run SIPALG_E2E_JOBS at a time (default 2: each is one vCPU,
# single-threaded under TCG). Each guest's output is printed whole when it
# ends (live: tail -f .build/vm-results/KVER/stream.log); every result line
# names its kernel.
jobs=${SIPALG_E2E_JOBS:-2}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "e2e: SIPALG_E2E_JOBS must be a number of guests, not '$jobs'" >&2; exit 2; }
t0=$(date +%s)
# the policy tests drive the module with the host's sipalgctl build
mkdir -p "$resroot"
if ! make -s -C "$top/userspace" >"$resroot/sipalgctl-build.log" 2>&1; then
	echo "== e2e: sipalgctl does not build (the policy tests will fail):"
	tail -n 20 "$resroot/sipalgctl-build.log" | sed "s/^/    /"
fi
for k in "${kernels[@]}"; do
	rm -rf "${resroot:?}/$k"
	mkdir -p "$resroot/$k"
done
# shard n of every kernel before shard n + 1 of any: the first guests
# build the modules, the rest find them built
declare -A job_of=()
running=0
finish_one() {
	local pid key
	wait -n -p pid 2>/dev/null || true
	key=${job_of[$pid]:-}
	[ -n "$key" ] || return 0
	unset "job_of[$pid]"
	running=$((running - 1))
	cat "$(shard_res "${key% *}" "${key#* }")/stream.log"
}
for ((n = 0; n < shards; n++)); do
	for k in "${kernels[@]}"; do
		while [ "$running" -ge "$jobs" ]; do finish_one; done
		res=$(shard_res "$k" "$n")
		mkdir -p "$res"
		run_shard "$k" "$n" >"$res/stream.log" 2>&1 &
		job_of[$!]="$k $n"
		running=$((running + 1))
	done
done
while [ "$running" -gt 0 ]; do finish_one; done

# the files' times, for the next run's split (the longest over the kernels)
cat "$resroot"/*/host.log "$resroot"/*/shard-*/host.log 2>/dev/null |
	sed -n -E 's/^-- (t-[^:]+): .* in ([0-9]+) s$/\1 \2/p' |
	awk '{ if ($2 > t[$1]) t[$1] = $2 } END { for (f in t) print f, t[f] }' |
	sort >"$times_file.new"
if [ -s "$times_file.new" ]; then
	[ -s "$times_file" ] && awk 'NR == FNR { seen[$1] = 1; print; next } !($1 in seen)' \
		"$times_file.new" "$times_file" | sort >"$times_file.tmp" && mv "$times_file.tmp" "$times_file.new"
	mv "$times_file.new" "$times_file"
else
	rm -f "$times_file.new"
fi

P=0 F=0 S=${#skips[@]}
[ "${#kernels[@]}" -gt 0 ] || { echo "FAIL e2e: no kernel to test"; F=$((F + 1)); }
for k in "${kernels[@]}"; do
	tag=$(echo "$k" | cut -d. -f1,2)
	for ((n = 0; n < shards; n++)); do
		res=$(shard_res "$k" "$n")
		if [ -r "$res/counts" ]; then
			read -r p f s el bt <"$res/counts"
		else
			echo "FAIL [$tag] e2e: no result for $k (shard $((n + 1)))"
			p=0 f=1 s=0 el=0 bt=0
		fi
		P=$((P + p)) F=$((F + f)) S=$((S + s))
		echo "== time [$tag] $k shard $((n + 1))/$shards: module $bt s, boot + tests $((el - bt)) s"
	done
done
echo "== e2e: $(( $(date +%s) - t0 )) s over ${#kernels[@]} kernel(s) in $shards shard(s) each, $jobs guest(s) at a time"
echo "$P passed, $F failed, $S skipped"
[ "$F" = 0 ]
