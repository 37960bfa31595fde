#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make kunit: run sipalg's KUnit suites (tests/kunit/*.c) inside a UML kernel
# built from Debian's linux-source package, with KASAN and UBSAN.
#
# Debian's own kernels have no KUnit, so this builds User-Mode Linux from
# /usr/src/linux-source-<ver>.tar.xz with tools/testing/kunit/kunit.py.
# Nothing is downloaded and nothing is written into the repository:
#
#   $SIPALG_CACHE/kunit/linux-<ver>/   the extracted kernel source (once per
#                                      tarball), plus net/sipalg_kunit/,
#                                      regenerated every run: a Kconfig, a
#                                      Makefile and symlinks to the module's
#                                      sources (the objects of the project's
#                                      Kbuild) and to tests/kunit/*.[ch]
#   $SIPALG_CACHE/kunit/build-<ver>/   kunit.py's build dir (O=): kept between
#                                      runs, so a rerun rebuilds only what
#                                      changed
#
# The module and its suites are linked into the kernel (UML has no module
# loading in kunit.py), enabled by CONFIG_SIPALG_KUNIT_TEST from
# tests/kunit/.kunitconfig.
#
# Output: kunit.py's own output (ending with its "Testing complete. ..."
# line), then one line per test, "PASS name", "FAIL name: why" or
# "SKIP name: why", and "N passed, M failed, K skipped". A KASAN or UBSAN
# report during a test fails that test even when its expectations held.
# Exit status non-zero on any failure, a build failure included.
#
# Environment:
#   SIPALG_CACHE          cache root (default ~/.cache/sipalg)
#   SIPALG_KUNIT_KERNELS  kernel source versions to test (default "6.1 6.12":
#                         linux-source-6.1 is required, a missing 6.12 is a
#                         SKIP)
#   SIPALG_JOBS           make -j (default 2)
#   SIPALG_KUNIT_TIMEOUT  seconds for the test run itself (default 600)
#   SIPALG_KUNIT_ARGS     extra kernel command line; sipalg.kunit_fail=expect,
#                         =kasan or =ubsan makes the harness test fail that
#                         way, to check that such a failure fails this script
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${SIPALG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sipalg}
kcache=$cache/kunit
jobs=${SIPALG_JOBS:-2}
timeout=${SIPALG_KUNIT_TIMEOUT:-600}
kernels=${SIPALG_KUNIT_KERNELS:-6.1 6.12}
kunitconfig=$top/tests/kunit/.kunitconfig

passed=0 failed=0 skipped=0

say() { echo "kunit: $*"; }

fail_line() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# write stdin to $1 only when it differs, so make sees no spurious change
write_if_changed() {
	local tmp
	tmp=$(mktemp "$1.XXXXXX") || return 1
	cat >"$tmp"
	if cmp -s "$tmp" "$1"; then
		rm -f "$tmp"
	else
		mv -f "$tmp" "$1"
	fi
}

# extract the kernel source once per tarball (size + mtime identify it)
prepare_tree() {
	local ver=$1 tree=$2 build=$3 tarball=$4 stamp tmp
	stamp="$(stat -c '%s %Y' "$tarball") $tarball"
	if [ -f "$tree/.sipalg-tarball" ] &&
	   [ "$(cat "$tree/.sipalg-tarball")" = "$stamp" ]; then
		return 0
	fi
	say "extracting $tarball into $tree (once per source package)"
	rm -rf "$tree" "$build"
	tmp=$(mktemp -d "$kcache/.extract-$ver.XXXXXX") || return 1
	if ! tar -xf "$tarball" -C "$tmp" --strip-components=1; then
		rm -rf "$tmp"
		return 1
	fi
	echo "$stamp" >"$tmp/.sipalg-tarball"
	mv "$tmp" "$tree"
}

# hook net/sipalg_kunit/ into the kernel tree (idempotent) and regenerate it
link_project() {
	local tree=$1 gen=$1/net/sipalg_kunit f rel objs
	grep -q 'net/sipalg_kunit/Kconfig' "$tree/net/Kconfig" ||
		echo 'source "net/sipalg_kunit/Kconfig"' >>"$tree/net/Kconfig"
	# shellcheck disable=SC2016 # a make variable, not a shell one
	grep -q 'sipalg_kunit/' "$tree/net/Makefile" ||
		echo 'obj-$(CONFIG_SIPALG_KUNIT_TEST) += sipalg_kunit/' >>"$tree/net/Makefile"
	mkdir -p "$gen"

	# symlinks: kmod/**/*.[ch] as they are, tests/kunit/*.[ch] as tests/
	local want=()
	while IFS= read -r f; do
		want+=("$f:$top/$f")
	done < <(cd "$top" && find kmod -name '*.[ch]' -type f | sort)
	for f in "$top"/tests/kunit/*.[ch]; do
		[ -e "$f" ] && want+=("tests/${f##*/}:$f")
	done
	# drop links that no longer match a project file
	while IFS= read -r f; do
		rel=${f#"$gen"/}
		if [ "$rel" != project.kbuild ] &&
		   [[ " ${want[*]} " != *" $rel:"* ]]; then
			rm -f "$f"
		fi
	done < <(find "$gen" -type l)
	for f in "${want[@]}"; do
		rel=${f%%:*}
		mkdir -p "$gen/$(dirname "$rel")"
		if [ "$(readlink "$gen/$rel" 2>/dev/null)" != "${f#*:}" ]; then
			ln -sfn "${f#*:}" "$gen/$rel"
		fi
	done
	[ "$(readlink "$gen/project.kbuild" 2>/dev/null)" = "$top/Kbuild" ] ||
		ln -sfn "$top/Kbuild" "$gen/project.kbuild"

	objs=""
	for f in "$top"/tests/kunit/*.c; do
		[ -e "$f" ] && objs+=" tests/$(basename "${f%.c}").o"
	done
	local incs=""
	while IFS= read -r f; do
		incs+=" -I\$(sipalg-dir)/$f"
	done < <(cd "$top" && find kmod -type d | sort)

	write_if_changed "$gen/Kconfig" <<'EOF'
# SPDX-License-Identifier: GPL-2.0
# Generated by sipalg's scripts/kunit.sh: do not edit.
config SIPALG_KUNIT_TEST
	bool "sipalg SIP ALG linked in, with its KUnit suites"
	depends on KUNIT=y && NF_CONNTRACK=y && NF_NAT=y && IPV6=y
	help
	  Links the sipalg conntrack helper (out of tree) into the kernel
	  together with its KUnit suites. Only for testing.
EOF
	write_if_changed "$gen/Makefile" <<EOF
# SPDX-License-Identifier: GPL-2.0
# Generated by sipalg's scripts/kunit.sh: do not edit.
# The module's objects come from the project's own Kbuild (project.kbuild).
# \$(src) is relative to the source tree before 6.9, absolute from 6.9 on.
sipalg-dir := \$(if \$(filter /%,\$(src)),\$(src),\$(srctree)/\$(src))
include \$(sipalg-dir)/project.kbuild
sipalg-proj-flags := \$(filter-out -I%,\$(ccflags-y))
sipalg-proj-objs := \$(sipalg-y)
ifeq (\$(strip \$(sipalg-proj-objs)),)
sipalg-proj-objs := \$(patsubst \$(sipalg-dir)/%.c,%.o,\\
	\$(wildcard \$(sipalg-dir)/kmod/*.c \$(sipalg-dir)/kmod/*/*.c))
endif
obj-m :=
obj-y :=
obj-\$(CONFIG_SIPALG_KUNIT_TEST) += sipalg.o
sipalg-y := \$(sipalg-proj-objs)$objs
ccflags-y := \$(sipalg-proj-flags)$incs -I\$(sipalg-dir)/tests
UBSAN_SANITIZE := y
EOF
}

# kunit.py's output as it comes (line by line: mawk would buffer it); after
# a build error only the lines that say what failed
filter_kunit() {
	local line err=0
	local pat='error:|Error [0-9]|undefined reference|multiple definition|No rule to make|Not all Kconfig|Missing: '

	while IFS= read -r line; do
		case $line in
		stty:*) continue ;;
		ERROR:root:*)
			[ "$err" = 0 ] && echo "kunit.py build error:"
			err=1 ;;
		esac
		if [ "$err" = 0 ]; then
			printf '%s\n' "$line"
		elif [[ $line =~ $pat ]]; then
			printf '%s\n' "${line#ERROR:root:}"
		fi
	done
}

# kunit.py's JSON + the raw console log -> PASS/FAIL/SKIP lines
report() {
	python3 - "$@" <<'PY'
import json, re, sys

prefix, json_path, log_path = sys.argv[1:4]
with open(json_path) as f:
    top = json.load(f)
try:
    with open(log_path, errors='replace') as f:
        log = f.read().splitlines()
except OSError:
    log = []

# walk the console log: diagnostics and sanitizer reports seen before a
# test's result line belong to that test
result_re = re.compile(r'^\s*(not ok|ok) \d+ (?:- )?([^#\s]+)')
# KASAN, UBSAN, lockdep, oopses and WARN()s
sanitizer_re = re.compile(r'((?:BUG|WARNING): .*|UBSAN: .*|Kernel panic.*|'
                          r'general protection fault.*|Oops.*)')

def report_line(line):
    m = sanitizer_re.search(line)
    if not m:
        return None
    # UML has no HAVE_EFFICIENT_UNALIGNED_ACCESS, so UBSAN checks alignment;
    # 6.12 instruments the whole kernel, whose core code does unaligned
    # reads x86 is fine with: count those in the project's code only
    if 'misaligned-access' in line and 'net/sipalg_kunit/' not in line:
        return None
    return m.group(1).strip()
why = {}
skip_why = {}
sanitized = {}
boot = []
pending_diag, pending_san = [], []
in_ktap = False
for i, line in enumerate(log):
    if not in_ktap:
        # before the tests: boot, the module's init among it. Arch code
        # WARNs there (UML's virt-pci without a device): count only
        # sanitizer reports, oopses and WARNs from the project's code
        if re.match(r'^\s*(KTAP|TAP) version', line):
            in_ktap = True
            continue
        r = report_line(line)
        if r and (not r.startswith('WARNING: CPU') or
                  'net/sipalg_kunit/' in line):
            boot.append(r)
        continue
    r = report_line(line)
    if r:
        pending_san.append(r)
        continue
    if 'EXPECTATION FAILED' in line or 'ASSERTION FAILED' in line:
        text = re.sub(r'^\s*#\s*', '', line).strip()
        # the "Expected ..." lines that follow, up to the next diagnostic
        for nxt in log[i + 1:i + 4]:
            if result_re.match(nxt) or re.match(r'^\s*#', nxt) or not nxt.strip():
                break
            text += ' -- ' + nxt.strip()
        pending_diag.append(text)
        continue
    m = result_re.match(line)
    if m:
        name = m.group(2)
        k = re.search(r'#\s*SKIP\s*(.*)$', line)
        if k and k.group(1).strip():
            skip_why.setdefault(name, k.group(1).strip())
        if pending_diag:
            why.setdefault(name, pending_diag[0])
        if pending_san:
            sanitized.setdefault(name, pending_san[0])
        pending_diag, pending_san = [], []

counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}

def emit(kind, name, text=''):
    counts[kind] += 1
    print(f'{kind} {prefix}{name}' + (f': {text}' if text else ''))

def walk(group, path):
    for case in group.get('test_cases', []):
        name = '.'.join(path + [case['name'] or '(missing result)'])
        status = case['status']
        short = case['name']
        emitted.add(short)
        if short in sanitized:
            emit('FAIL', name, sanitized[short])
        elif status == 'PASS':
            emit('PASS', name)
        elif status == 'SKIP':
            emit('SKIP', name, skip_why.get(short, 'skipped by the test'))
        elif status == 'ERROR':
            emit('FAIL', name, 'crashed (see the kernel log above)')
        else:
            emit('FAIL', name, why.get(short, 'failed (see kunit.py output above)'))
    for sub in group.get('sub_groups', []):
        walk(sub, path + [sub['name']])

emitted = set()
walk(top, [])
# reports outside any test case: at boot, in a suite's init/exit, after
for name, text in sanitized.items():
    if name not in emitted:
        emit('FAIL', name, text)
if boot:
    emit('FAIL', 'boot', boot[0])
if pending_san:
    emit('FAIL', 'kernel-log', pending_san[0])
print(f"#counts {counts['PASS']} {counts['FAIL']} {counts['SKIP']}")
PY
}

run_kernel() {
	local ver=$1 tree=$kcache/linux-$1 build=$kcache/build-$1
	local tarball=/usr/src/linux-source-$1.tar.xz out json rc t0 summary
	local lines p f k

	if [ ! -f "$tarball" ] && [ "$ver" != 6.1 ] &&
	   [ -z "${SIPALG_KUNIT_KERNELS:-}" ]; then
		echo "SKIP [$ver] kunit: no $tarball (install linux-source-$ver)"
		skipped=$((skipped + 1))
		return
	fi
	if [ ! -f "$tarball" ]; then
		fail_line "[$ver] kunit" "no $tarball: install linux-source-$ver (scripts/install-deps.sh)"
		return
	fi
	prepare_tree "$ver" "$tree" "$build" "$tarball" || {
		fail_line "[$ver] kunit" "could not extract $tarball into $tree"
		return
	}
	link_project "$tree" || {
		fail_line "[$ver] kunit" "could not link the project into $tree"
		return
	}
	mkdir -p "$build"
	# make compares times through the links: after a run from another
	# checkout (a worktree), objects newer than this tree's sources would
	# stand for them. Build the project's objects again when the checkout
	# changed.
	if [ "$(cat "$build/.sipalg-top" 2>/dev/null)" != "$top" ]; then
		rm -rf "$build/net/sipalg_kunit"
		echo "$top" >"$build/.sipalg-top"
	fi
	out=$(mktemp) json=$(mktemp)
	rm -f "$json" "$build/test.log"
	say "UML $ver: kunit.py run --arch=um (source $tree, build $build, -j$jobs)"
	t0=$(date +%s)
	local args=()
	for a in ${SIPALG_KUNIT_ARGS:-}; do
		args+=("--kernel_args=$a")
	done
	# make -k: when the project does not compile, the rest of the kernel
	# still gets built (and cached); on a build error print only the
	# error lines (the whole output is kept in last-run-<ver>.log)
	(cd "$tree" && python3 -u tools/testing/kunit/kunit.py run --arch=um \
		--kunitconfig="$kunitconfig" --build_dir="$build" \
		--make_options=-k --jobs="$jobs" --timeout="$timeout" \
		--json="$json" "${args[@]}" 'sipalg*') 2>&1 | tee "$out" |
		filter_kunit
	rc=${PIPESTATUS[0]}
	say "UML $ver: kunit.py exit $rc after $(( $(date +%s) - t0 )) s"
	cp -f "$out" "$kcache/last-run-$ver.log"

	if [ ! -s "$json" ]; then
		fail_line "[$ver] build" "kunit.py could not build or boot the UML kernel (exit $rc); see the output above and $kcache/last-run-$ver.log"
		rm -f "$out" "$json"
		return
	fi
	lines=$(report "[$ver] " "$json" "$build/test.log")
	echo "$lines" | grep -v '^#counts'
	read -r _ p f k <<<"$(echo "$lines" | grep '^#counts')"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + k))
	summary=$(grep -o 'Testing complete\..*' "$out" | tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')
	if [ -z "$summary" ]; then
		fail_line "[$ver] summary" "kunit.py printed no summary"
	else
		echo "kunit.py ($ver): $summary"
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		fail_line "[$ver] suites" "no sipalg test ran"
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		fail_line "[$ver] kunit" "kunit.py exited $rc with no failed test"
	fi
	rm -f "$out" "$json"
}

mkdir -p "$kcache"
for ver in $kernels; do
	exec 9>"$kcache/.lock-$ver"
	if ! flock -w 7200 9; then
		fail_line "[$ver] kunit" "could not lock $kcache/.lock-$ver"
		continue
	fi
	run_kernel "$ver"
	exec 9>&-
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
