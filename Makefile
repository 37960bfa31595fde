# SPDX-License-Identifier: GPL-2.0
#
# sipalg top-level Makefile.
#
#   make                  build sipalg.ko (for KVER) and userspace/sipalgctl
#   make KVER=6.1.0-56-amd64   build against /usr/lib/modules/KVER/build
#   make check            every test: unit, fuzz smoke, KUnit, VM end-to-end (6.1, 6.12, 7.x)
#   make demo             boot a guest and push a SIP call through a port-changing NAT
#   make install          modules_install + install sipalgctl, its config and unit (DESTDIR= to stage)
#   make dkms_install     sources to /usr/src/sipalg-VERSION, dkms builds/installs
#   make deb              sipalg-dkms and sipalgctl .deb files in .build/deb/
#   make pkg-test         install them in a bookworm chroot, modprobe and call in a guest

# Kernel to build against: the running kernel's headers if present, else the
# newest installed headers.
KVER ?= $(shell if [ -d /usr/lib/modules/$$(uname -r)/build ]; then uname -r; \
	else for k in $$(ls -1 /usr/lib/modules 2>/dev/null); do \
		[ -d /usr/lib/modules/$$k/build ] && echo $$k; done | sort -V | tail -n 1; fi)
KDIR ?= /usr/lib/modules/$(KVER)/build
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all module ctl install modules_install ctl_install dkms_src dkms_install \
	dkms_uninstall conf_install deb pkg-test clean check unit \
	fuzz fuzz-smoke bench-core bench bench-helper kunit e2e demo deps help

all: module ctl

module:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "no kernel build tree at $(KDIR): install linux-headers-$(KVER) or set KVER=" \
			"(Debian sid's kernel builds in its chroot: scripts/sid.sh build $(KVER) DIR)" >&2; \
		exit 1; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

ctl:
	$(MAKE) -C userspace

# DESTDIR=/tmp/pkg stages the module under /tmp/pkg/lib/modules/KVER/extra
# without touching the running system (run depmod on the target then)
INSTALL_MOD_DIR ?= extra
modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR) DEPMOD=true) modules_install
	@if [ -z "$(DESTDIR)" ]; then echo "depmod -a $(KVER)"; depmod -a $(KVER); \
	else echo "staged in $(DESTDIR): run 'depmod -a $(KVER)' on the target"; fi

# DKMS: copy the module's sources to /usr/src/sipalg-VERSION and let dkms
# build and install it for every kernel (and again on kernel upgrades)
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC = $(DESTDIR)/usr/src/sipalg-$(DKMS_VERSION)
dkms_src:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	tar cf - --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod*' \
		--exclude='*.a' --exclude='*.d' dkms.conf Kbuild COPYING kmod | tar xf - -C $(DKMS_SRC)

dkms_install: dkms_src
	dkms remove sipalg/$(DKMS_VERSION) --all >/dev/null 2>&1 || true
	dkms install sipalg/$(DKMS_VERSION)

dkms_uninstall:
	dkms remove sipalg/$(DKMS_VERSION) --all
	rm -rf /usr/src/sipalg-$(DKMS_VERSION)

ctl_install: ctl
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# /etc/sipalg/policies.conf (kept when it exists: it is the admin's), the
# boot unit sipalg.service and the nftables example
SYSCONFDIR ?= /etc
SBINDIR ?= $(PREFIX)/sbin
SYSTEMDUNITDIR ?= /lib/systemd/system
EXAMPLEDIR ?= $(PREFIX)/share/doc/sipalg/examples
conf_install:
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/sipalg/policies.conf ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/sipalg/policies.conf"; \
	else install -D -m 0644 dist/policies.conf \
		$(DESTDIR)$(SYSCONFDIR)/sipalg/policies.conf; fi
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' dist/sipalg.service \
		>$(DESTDIR)$(SYSTEMDUNITDIR)/sipalg.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/sipalg.service
	install -D -m 0644 dist/sipalg.nft $(DESTDIR)$(EXAMPLEDIR)/sipalg.nft
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		systemctl daemon-reload; \
		echo "enable at boot: systemctl enable --now sipalg.service"; fi

install: modules_install ctl_install conf_install

# Debian packages sipalg-dkms and sipalgctl (debian/), built from a copy of
# the tree in .build/deb/ so the source dir stays clean; see debian/README.build
deb:
	scripts/deb.sh

# the packages installed in a clean bookworm chroot, DKMS builds, the
# installed module modprobed in a guest per kernel (not in make check yet)
pkg-test:
	tests/pkg/run.sh

deps:
	scripts/install-deps.sh

# every test; prints each test by name and a final "N passed, M failed"
check:
	scripts/check.sh

unit:
	$(MAKE) -C tests/unit check

fuzz:
	$(MAKE) -C tests/fuzz run
	$(MAKE) -C tests/unit tcp-long

fuzz-smoke:
	$(MAKE) -C tests/fuzz smoke

bench-core:
	$(MAKE) -C tests/bench run

# per-message cost and scale against the in-tree helper, in the QEMU guest
# (not part of make check; figures go to BENCHMARKS.md)
bench:
	scripts/bench.sh

# each helper's own help() time per message, sipalg beside nf_conntrack_sip
# and the monitor's cost with and without a listener,
# by the kernel's function_graph tracer in one guest (BENCHMARKS.md; make
# check runs its summing on hand-made traces and its builds, not the guest)
bench-helper:
	scripts/bench-helper.sh

kunit:
	scripts/kunit.sh

e2e:
	scripts/e2e.sh

demo:
	scripts/demo.sh

clean:
	-[ -d "$(KDIR)" ] && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace clean
	-$(MAKE) -C tests/unit clean
	-$(MAKE) -C tests/fuzz clean
	-$(MAKE) -C tests/bench clean
	rm -rf .build

help:
	@sed -n '3,13p' Makefile
