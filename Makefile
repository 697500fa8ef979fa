# SPDX-License-Identifier: GPL-2.0-or-later
# blackbox top-level Makefile: drives CMake (C++) and Kbuild (dm-targets/).
#
#   make deps      install build/test dependencies from Debian packages
#   make           build the C++ tools and the kernel modules
#   make test      run every test: unit, host integration, VM scenarios
#   make demo      the main job, in a VM, explained as it goes
#   make install   commands, man pages, systemd units, bb-healthd's
#                  configuration (SYSCONFDIR, default /etc; never replaced),
#                  bash completion and the module sources for DKMS (PREFIX,
#                  DESTDIR); make uninstall
#
# Variables: BUILD (C++ build dir), KERNELS (Debian kernel series to build
# and test against; default: tests/vm/kernels), BB_CACHE (kernel cache,
# default ~/.cache/blackbox), PREFIX (make install, default /usr/local),
# SYSCONFDIR (make install, default /etc), DESTDIR (staging root for make
# install/uninstall).

BUILD    ?= build
ASAN_BUILD ?= build-asan
# The series are listed once, in tests/vm/kernels.
KERNELS  ?= $(shell tests/vm/kernel-cache --series)
JOBS     ?= $(shell nproc)

.PHONY: all deps cxx cxx-asan modules man install uninstall test demo clean help

all: cxx modules man

help:
	@sed -n '2,15p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@tools/install-deps

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

cxx: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/Makefile:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBB_SANITIZE=ON

cxx-asan: $(ASAN_BUILD)/Makefile
	cmake --build $(ASAN_BUILD) -j $(JOBS)

modules:
	@tests/vm/build-modules $(KERNELS)

# The man pages, from docs/ (tools/gen-man, pandoc).
man:
	@tools/gen-man $(BUILD)/man

install: cxx man
	@BUILD=$(BUILD) tools/install-tree install

uninstall:
	@BUILD=$(BUILD) tools/install-tree uninstall

test: deps
	@$(MAKE) --no-print-directory all cxx-asan
	@tests/run-all

demo: deps
	@$(MAKE) --no-print-directory all
	@examples/demo

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) .vm-out
