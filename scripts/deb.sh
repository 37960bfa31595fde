#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make deb: the Debian packages sipalg-dkms_VERSION_all.deb and
# sipalgctl_VERSION_ARCH.deb (debian/), checked with lintian.
#
# dpkg-buildpackage runs in a copy of the tree (the files git knows, plus
# new ones it does not ignore) in .build/deb/sipalg-VERSION/, so the source
# dir gets no build products; everything it writes lands in .build/deb/.
# Needs debhelper, dh-dkms and lintian (bookworm's), and the build
# dependencies in debian/control. Exit 0 only when lintian reports no
# error and no warning.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${SIPALG_DEB_OUT:-$top/.build/deb}

missing=
for c in dpkg-buildpackage dh dh_dkms lintian; do
	command -v "$c" >/dev/null || missing="$missing $c"
done
if [ -n "$missing" ]; then
	echo "deb: missing$missing: apt-get install debhelper dh-dkms dkms lintian" >&2
	exit 2
fi

# one version everywhere: the changelog's, dkms.conf's, sipalgctl -V's
ver=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
dkver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
ctlver=$(sed -n 's/^#define SIPALG_VERSION "\(.*\)"/\1/p' "$top/userspace/sipalgctl.c")
if [ "$ver" != "$dkver" ] || [ "$ver" != "$ctlver" ]; then
	echo "deb: versions differ: debian/changelog $ver, dkms.conf $dkver, userspace/sipalgctl.c $ctlver" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$out/sipalg-$ver"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' |
	tar -c --null -T - -f -) | tar -x -C "$out/sipalg-$ver"
echo "== deb: building sipalg $ver in $out/sipalg-$ver"
(cd "$out/sipalg-$ver" && dpkg-buildpackage -us -uc --build=full) >"$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
}
changes=$(ls "$out"/sipalg_"$ver"_*.changes)
echo "== deb: lintian $changes"
lintian --fail-on error,warning --display-info "$changes" 2>&1 | tee "$out/lintian.log" || {
	echo "deb: lintian found errors or warnings (above)" >&2
	exit 1
}
ls -1 "$out"/*.deb
