#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh — what the VM bench's runners share (sourced by tests/vm/run and
# tests/vm/cluster-run): the scenario header parsing and the kernel log
# lines that fail a scenario. The script that sources it sets BB_VM_DIR
# first (tests/vm).

# Kernel log lines that fail a scenario, whatever its script said.
# shellcheck disable=SC2034 # used by the scripts that source this file
DMESG_BAD='BUG:|WARNING:|Oops|general protection fault|possible circular locking|possible recursive locking|inconsistent lock state|possible irq lock inversion|DEBUG_LOCKS_WARN_ON|turning off the locking correctness validator|KASAN|UBSAN|Kernel panic|kernel BUG|refcount_t:|list_add corruption|list_del corruption|INFO: task .* blocked|ODEBUG:|INFO: trying to register non-static key|rcu: INFO:|detected stalls? on CPU|(Poison|Redzone|Padding) overwritten'

# directive FILE NAME — the value of a "# NAME: value" header line.
directive() { sed -n "s/^# $2: *//p" "$1" | head -n1; }
# describe FILE — what a scenario tests: its first comment line after the
# "#!" line, an SPDX tag skipped.
describe() { awk 'NR > 1 && /^#/ && !/SPDX-License-Identifier/ { sub(/^# */, ""); print; exit }' "$1"; }

# size_bytes 256M -> bytes (K, M, G suffixes).
size_bytes() { numfmt --from=iec "$1"; }

# panic_line CONSOLE — the first line where the kernel says it died, if any.
panic_line() {
	tr -d '\r' <"$1" 2>/dev/null |
		grep -Em1 'Kernel panic|Oops|BUG:|general protection fault|kernel BUG' || true
}

# slow_factor SERIES — what the timeouts of SERIES are multiplied by
# ("slow=N" in tests/vm/kernels; 1 without).
slow_factor() {
	local opts
	opts=$("$BB_VM_DIR/kernel-cache" --options "$1") || return 1
	if [[ ,$opts, =~ ,slow=([1-9][0-9]*), ]]; then echo "${BASH_REMATCH[1]}"; else echo 1; fi
}

# kernel_args SERIES — the extra kernel arguments of SERIES ("append:ARG"
# options in tests/vm/kernels), each with a space before it.
kernel_args() {
	local opts o
	opts=$("$BB_VM_DIR/kernel-cache" --options "$1") || return 1
	for o in ${opts//,/ }; do
		case $o in append:?*) printf ' %s' "${o#append:}" ;; esac
	done
}

# pick_accel VMLINUZ INITRD — prints kvm or tcg. /dev/kvm may exist yet hang
# a guest, so KVM is used only when a probe boot reaches the guest's init.
# The verdict is cached per host kernel and QEMU version.
pick_accel() {
	if [ -n "${BB_ACCEL:-}" ]; then echo "$BB_ACCEL"; return; fi
	local cache log
	cache=${BB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/blackbox}/accel-$(uname -r)-$(qemu-system-x86_64 --version | head -n1 | tr -dc '0-9.')
	if [ -f "$cache" ]; then cat "$cache"; return; fi
	log=$(mktemp)
	if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
		timeout 20 qemu-system-x86_64 -accel kvm -cpu host -smp 2 -m 512 -nodefaults \
			-display none -no-reboot -kernel "$1" -initrd "$2" \
			-append "console=ttyS0 panic=-1 quiet bb.probe" \
			-serial null -serial "file:$log" >/dev/null 2>&1 &&
		grep -q '@@BB READY' "$log"; then
		echo kvm >"$cache.$$"
	else
		echo tcg >"$cache.$$"
	fi
	mv -f "$cache.$$" "$cache" # atomic: guests booting in parallel may probe too
	rm -f "$log"
	cat "$cache"
}
