#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Kernel fault injection (debug kernel): failslab and fail_page_alloc, confined to bb-log-writes' code by their stack filter and to one task by fail-nth or the task filter, fail a write's block, a data page, an entry header (log thread), a mark's text and block, the end mark; fail_make_request fails one write to the log disk. The outcomes bblw-nomem checks with the fault-injection build: one kernel line, status, data goes on, the log replays to a prefix.
# kernels: 6.12-debug
# disks: data:16M log:32M
# modules: dm-mod
# ours: dm-bb-log-writes
# boot: own
# timeout: 300
set -e
. "$BB_LIB/bblw-nomem.sh"
dbg=/sys/kernel/debug
for d in failslab fail_page_alloc fail_make_request; do
	[ -d $dbg/$d ] || fail "no $dbg/$d: the kernel lacks FAULT_INJECTION_DEBUG_FS or ${d}"
done
[ -e $dbg/failslab/require-start ] || fail "the kernel lacks FAULT_INJECTION_STACKTRACE_FILTER"
logdisk=$(basename "$DISK_log")
forced() { new_dmesg | grep -c 'FAULT_INJECTION: forcing a failure' || true; }

# The kernel's symbols, sorted by address (read once: it is long).
sort /proc/kallsyms >/tmp/kallsyms
# after ADDR — the address of the first symbol past ADDR.
after() { awk -v l="$1" '$1 > l { print $1; exit }' /tmp/kallsyms; }
# The text of our module, [start, end): its lowest text symbol up to the
# first symbol of anything after its highest one.
syms=$(awk '$4 == "[dm_bb_log_writes]" && ($2 == "t" || $2 == "T") { print $1 }' /tmp/kallsyms)
start=$(echo "$syms" | head -n1)
[ -n "$start" ] || fail "no text symbols of dm_bb_log_writes in /proc/kallsyms"
end=$(after "$(echo "$syms" | tail -n1)")
# range NAME... — "start end" from the lowest to past the highest of the
# functions NAME that kallsyms knows (some may be inlined): all from one
# object file, so the range holds that file's code only.
range() {
	a=$(awk -v names=" $* " '($2 == "t" || $2 == "T") && index(names, " " $3 " ") { print $1 }' /tmp/kallsyms)
	# (in a command substitution: say why on stderr, set -e stops the script)
	[ -n "$a" ] || { echo "FAIL: none of $* in /proc/kallsyms" >&2; exit 1; }
	set -- "$(echo "$a" | head -n1)" "$(after "$(echo "$a" | tail -n1)")"
	# A range that spans more than one file's code would reject (or
	# require) far more than it names: refuse it.
	[ $((0x$2 - 0x$1)) -lt $((0x40000)) ] ||
		{ echo "FAIL: $* spans $(((0x$2 - 0x$1) / 1024)) KiB: not one file's code" >&2; exit 1; }
	echo "$1 $2"
}
# Allocations that are not ours, though our code is on the stack: the
# slab allocator's pages for a new slab under our kzalloc (rejected for
# fail_page_alloc), kmemleak's record of each of our slab objects
# (rejected for failslab: kmemleak falls back to its pool, the failure
# would vanish). Not kmemleak_alloc itself: it lives in another section,
# megabytes away, and a range up to it would reject nearly every stack
# (__alloc_object, always on the stack of kmemleak's allocation, suffices).
slab_range=$(range ___slab_alloc)
leak_range=$(range mem_pool_alloc __alloc_object __create_object create_object)
echo "our text: $start-$end; ___slab_alloc: $slab_range; kmemleak: $leak_range"

# fi_set ATTR in|out — ATTR counts only calls with our code on the stack
# (in), or none at all (out); off by probability and times until armed.
# shellcheck disable=SC2086 # "start end", split on purpose
fi_set() {
	d=$dbg/$1
	echo 0 >$d/probability
	echo 0 >$d/times
	echo 1 >$d/interval
	echo N >$d/task-filter
	echo 2 >$d/verbose
	echo 32 >$d/stacktrace-depth
	if [ "$2" = in ]; then
		echo "0x$start" >$d/require-start
		echo "0x$end" >$d/require-end
	else
		echo 1 >$d/require-start
		echo 1 >$d/require-end
	fi
	if [ "$1" = failslab ]; then set -- $leak_range; else set -- $slab_range; fi
	echo "0x$1" >$d/reject-start
	echo "0x$2" >$d/reject-end
}
# Allocations that may sleep count too (GFP_NOIO, GFP_KERNEL: all of ours).
echo N >$dbg/failslab/ignore-gfp-wait
echo N >$dbg/fail_page_alloc/ignore-gfp-wait
echo 0 >$dbg/fail_page_alloc/min-order

# nth N CMD... — run CMD with its Nth counted allocation failing
# (/proc/self/fail-nth: per task, exact, inherited by no child).
nth() { sh -c 'echo "$0" >/proc/self/fail-nth && exec "$@"' "$@"; }

# inject SITE HOW — bblw-nomem's checks with the failure injected by HOW:
#   slab:N   the Nth slab allocation of our code in the writer (a block)
#   page:N   the Nth page allocation of our code in the writer (a data page)
#   thread:N the log thread's page allocations, one of the next N (a header)
#   disk:N   one of the next N writes to the log disk fails (EIO)
inject() {
	site=$1 how=${2%%:*} n=${2#*:}
	start_case "$site: $2"
	case $how in
	slab | page)
		if [ "$how" = slab ]; then fi_set failslab in; fi_set fail_page_alloc out
		else fi_set failslab out; fi_set fail_page_alloc in; fi
		nth "$n" xfs_io -d -s -c "$writes" /dev/mapper/r
		;;
	thread)
		fi_set failslab out
		fi_set fail_page_alloc in
		pid=
		for p in /proc/[0-9]*; do
			[ "$(cat "$p/comm" 2>/dev/null)" = "bblw/$dm" ] && pid=${p#/proc/}
		done
		[ -n "$pid" ] || fail "$site: no log thread bblw/$dm"
		echo Y >$dbg/fail_page_alloc/task-filter
		echo "$n" >$dbg/fail_page_alloc/interval
		echo 100 >$dbg/fail_page_alloc/probability
		echo 1 >$dbg/fail_page_alloc/times
		echo 1 >"/proc/$pid/make-it-fail"
		xfs_io -d -s -c "$writes" /dev/mapper/r
		[ "$(cat $dbg/fail_page_alloc/times)" = 0 ] || fail "$site: the injected failure did not happen"
		echo 0 >$dbg/fail_page_alloc/probability
		;;
	disk)
		d=$dbg/fail_make_request
		echo N >$d/task-filter
		echo 2 >$d/verbose
		echo "$n" >$d/interval
		echo 100 >$d/probability
		echo 1 >$d/times
		echo 1 >"/sys/block/$logdisk/make-it-fail"
		xfs_io -d -s -c "$writes" /dev/mapper/r
		echo 0 >"/sys/block/$logdisk/make-it-fail"
		[ "$(cat $d/times)" = 0 ] || fail "$site: the injected failure did not happen"
		echo 0 >$d/probability
		;;
	esac
	[ "$(forced)" = 1 ] || fail "$site: expected one 'FAULT_INJECTION: forcing a failure', got $(forced)"
	new_dmesg | sed -n '/FAULT_INJECTION: forcing a failure/,/<\/TASK>/p' >"$RESULTS/$site.trace"
	echo "$site: failed in $(grep -o 'bblw_[a-z_]*' "$RESULTS/$site.trace" | head -n1)" \
		"($(grep -o 'Comm: [^ ]*' "$RESULTS/$site.trace" | head -n1))"
	durable=
	if [ "$how" = disk ]; then
		# shellcheck disable=SC2046 # status fields, split on purpose
		set -- $(status r)
		echo "status: $*"
		{ [ "$3" = error ] && [ "$6" = log_error ] && [ "$5" = 0 ]; } || fail "$site: status: $*"
		[ "$(new_dmesg | grep -c "$dm \[STATE:111\] log( logging -> error ) \[[^]]*\] log write failed")" = 1 ] || fail "$site: expected one 'log write failed' line"
		durable=$(new_dmesg | sed -n "s/.*$dm \[STATE:111\] log( logging -> error ) \[[^]]*\] log write failed (error -5); logging stopped at \([0-9]*\) durable entries.*/\1/p")
		[ -n "$durable" ] || fail "$site: the kernel line does not name error -5 and the durable entries"
	else
		check_no_memory
	fi
	check_stopped "$site" "$durable"
}

inject block slab:100
inject data page:100
inject header thread:100
inject logdisk disk:50

start_marks
fi_set failslab in
fi_set fail_page_alloc out
for n in 1 2; do
	if nth $n dmsetup message r 0 mark lost$n 2>"$RESULTS/mark$n.err"; then fail "mark accepted without memory ($n)"; fi
	check_mark_failed $n
done
[ "$(forced)" = 2 ] || fail "expected two injected failures for the marks, got $(forced)"
if new_dmesg | grep -q "$dm \[STATE:112\] log( logging -> error ) \[[^]]*\] out of memory for log entry"; then fail "a failed mark printed 'out of memory for log entry'"; fi

echo "== the end mark: the log is complete without it"
xfs_io -d -c "pwrite -q -S 0x22 64k 64k" /dev/mapper/r
nth 1 dmsetup remove r
[ "$(forced)" = 3 ] || fail "expected an injected failure for the end mark"
check_end_mark_lost
fi_set failslab out
rmmod dm_bb_log_writes
echo "failslab ok"
