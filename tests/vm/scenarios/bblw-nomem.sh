#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Out of memory: the fault-injection build fails one allocation at each site (block, data page, header page) under O_SYNC direct writes; logging stops with one kernel line, data goes on, the log replays to a prefix; mark and end-mark allocation failures.
# disks: data:16M log:32M
# modules: dm-mod
# ours: dm-bb-log-writes-fault
# boot: own
# timeout: 300
set -e
. "$BB_LIB/bblw-nomem.sh"
params=/sys/module/dm_bb_log_writes_fault/parameters

# nomem SITE N: writes and two marks logged, then fail_SITE=N and the 1 MiB
# of O_SYNC writes, each logged on completion; the Nth allocation at SITE
# fails in the middle of them.
nomem() {
	site=$1
	start_case "out of memory at $site"
	echo "$2" >"$params/fail_$site"
	xfs_io -d -s -c "$writes" /dev/mapper/r
	[ "$(cat "$params/fail_$site")" = 0 ] || fail "$site: the injected failure did not happen"
	check_no_memory
	check_stopped "$site"
	[ "$(new_dmesg | grep -c "$dm \[STATE:112\] log( logging -> error ) \[[^]]*\] out of memory for log entry")" = 1 ] || fail "$site: 'out of memory' printed again"
}

nomem block 100
nomem data 100
nomem header 100

start_marks
for n in 1 2; do
	echo "$n" >"$params/fail_mark"
	if dmsetup message r 0 mark lost$n 2>"$RESULTS/mark$n.err"; then fail "mark accepted without memory ($n)"; fi
	check_mark_failed $n
done
if new_dmesg | grep -q "$dm \[STATE:112\] log( logging -> error ) \[[^]]*\] out of memory for log entry"; then fail "a failed mark printed 'out of memory for log entry'"; fi

echo "== out of memory for the end mark: the log is complete without it"
xfs_io -d -c "pwrite -q -S 0x22 64k 64k" /dev/mapper/r
echo 1 >"$params/fail_end_mark"
dmsetup remove r
check_end_mark_lost

rmmod dm_bb_log_writes_fault
echo "nomem ok"
