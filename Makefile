# SPDX-License-Identifier: GPL-2.0
#
# sipalg top-level Makefile.
#
#   make                  build sipalg.ko (for KVER) and userspace/sipalgctl
#   make KVER=6.1.0-56-amd64   build against /usr/lib/modules/KVER/build
#   make check            every test: unit, fuzz smoke, KUnit, VM end-to-end (both kernels)
#   make demo             boot a guest and push a SIP call through a port-changing NAT
#   make install          modules_install + install sipalgctl

# Kernel to build against: the running kernel's headers if present, else the
# newest installed headers.
KVER ?= $(shell if [ -d /usr/lib/modules/$$(uname -r)/build ]; then uname -r; \
	else for k in $$(ls -1 /usr/lib/modules 2>/dev/null); do \
		[ -d /usr/lib/modules/$$k/build ] && echo $$k; done | sort -V | tail -n 1; fi)
KDIR ?= /usr/lib/modules/$(KVER)/build
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all module ctl install modules_install ctl_install clean check unit \
	fuzz fuzz-smoke bench-core kunit e2e demo deps help

all: module ctl

module:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "no kernel build tree at $(KDIR): install linux-headers-$(KVER) or set KVER=" >&2; \
		exit 1; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

ctl:
	$(MAKE) -C userspace

modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KVER) || true

ctl_install: ctl
	$(MAKE) -C userspace install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

install: modules_install ctl_install

deps:
	scripts/install-deps.sh

# every test; prints each test by name and a final "N passed, M failed"
check:
	scripts/check.sh

unit:
	$(MAKE) -C tests/unit check

fuzz:
	$(MAKE) -C tests/fuzz run

fuzz-smoke:
	$(MAKE) -C tests/fuzz smoke

bench-core:
	$(MAKE) -C tests/bench run

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
	@sed -n '3,10p' Makefile
