# SPDX-License-Identifier: GPL-2.0-or-later
# blackbox top-level Makefile: drives CMake (C++) and Kbuild (dm-targets/).
#
#   make deps      install build/test dependencies from Debian packages
#   make           build the C++ tools and the kernel modules
#   make test      run every test: unit, host integration, VM scenarios
#   make demo      the main job, in a VM, explained as it goes
#
# Variables: BUILD (C++ build dir), KERNELS (Debian kernel series to build
# and test against; default: tests/vm/kernels), BB_CACHE (kernel cache,
# default ~/.cache/blackbox).

BUILD    ?= build
ASAN_BUILD ?= build-asan
# The series are listed once, in tests/vm/kernels.
KERNELS  ?= $(shell tests/vm/kernel-cache --series)
JOBS     ?= $(shell nproc)

.PHONY: all deps cxx cxx-asan modules test demo clean help

all: cxx modules

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

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

test: deps
	@$(MAKE) --no-print-directory all cxx-asan
	@tests/run-all

demo: deps
	@$(MAKE) --no-print-directory all
	@examples/demo

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) .vm-out
