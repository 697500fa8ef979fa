#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Out of memory: the fault-injection build fails one allocation at each site (block, data page, header page) under O_SYNC direct writes; logging stops with one kernel line, data goes on, the log replays to a prefix; mark and end-mark allocation failures.
# disks: data:16M log:32M
# modules: dm-mod
# ours: dm-bb-log-writes-fault
# boot: own
# timeout: 300
set -e
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck disable=SC2046 # status fields, split on purpose
status() { set -- $(dmsetup status "$1"); shift 3; echo "$*"; }
dump() { blockdev --flushbufs "$1"; replay-log --no-index --log "$1" --dump; }
params=/sys/module/dm_bb_log_writes_fault/parameters
size=$(blockdev --getsz "$DISK_data")
bytes=$((size * 512))
xfs_io -f -c "pwrite -q -S 0x13 0 1m" /tmp/p13 >/dev/null
# Kernel lines since the last mark_dmesg (device numbers are reused).
mark_dmesg() { base=$(dmesg | wc -l); }
new_dmesg() { dmesg | tail -n +$((base + 1)); }
nomem_lines() { new_dmesg | grep -c "$1: out of memory for log entry" || true; }
zero_data() { dd if=/dev/zero of="$DISK_data" bs=1M count=16 conv=fsync 2>/dev/null; }

# Replay the log to mark $1 (or to its end without $1) into a fresh image.
replay_to() {
	rm -f /tmp/replay
	truncate -s "$bytes" /tmp/replay
	replay-log --no-index --log "$DISK_log" --replay /tmp/replay ${1:+--end-mark "$1"} >/dev/null
}

# nomem SITE N: writes and two marks logged, then fail_SITE=N and 1 MiB of
# 4 KiB O_SYNC direct (FUA) writes, each logged on completion; the Nth
# allocation at SITE fails in the middle of them.
nomem() {
	site=$1
	echo "== out of memory at $site"
	zero_data
	mark_dmesg
	dmsetup create r --table "0 $size bb-log-writes $DISK_data $DISK_log"
	dm=$(dmsetup info -c --noheadings --separator : -o major,minor r)
	xfs_io -d -c "pwrite -q -S 0x11 0 2m" -c fsync /dev/mapper/r
	dmsetup message r 0 mark m1
	xfs_io -d -c "pwrite -q -S 0x12 1m 2m" -c fsync /dev/mapper/r
	dmsetup message r 0 mark m2
	blockdev --flushbufs /dev/mapper/r
	m2=$(sha256sum </dev/mapper/r)
	echo "$2" >"$params/fail_$site"
	xfs_io -d -s -c "pwrite -q -S 0x13 -b 4k 0 1m" /dev/mapper/r
	[ "$(cat "$params/fail_$site")" = 0 ] || fail "$site: the injected failure did not happen"
	# shellcheck disable=SC2046 # status fields, split on purpose
	set -- $(status r)
	echo "status: $*"
	{ [ "$3" = error ] && [ "$6" = no_memory ] && [ "$5" = 0 ]; } || fail "$site: status: $*"
	[ "$(nomem_lines "$dm")" = 1 ] || fail "$site: expected one 'out of memory' line for $dm"
	new_dmesg | grep -q "$dm: out of memory for log entry $7; logging stopped" ||
		fail "$site: kernel line names another entry than status ($7)"
	if dmsetup message r 0 mark late 2>/dev/null; then fail "$site: mark accepted after logging stopped"; fi

	# The data device goes on, unlogged.
	xfs_io -d -c "pwrite -q -S 0x14 4m 64k" -c fsync /dev/mapper/r
	xfs_io -d -r -c "pread -q -v 4m 512" /dev/mapper/r | grep -q '14 14 14' || fail "$site: data stopped"
	blockdev --flushbufs /dev/mapper/r
	cmp -n 1048576 /tmp/p13 /dev/mapper/r || fail "$site: O_SYNC writes did not all reach the disk"
	dmsetup remove r
	[ "$(nomem_lines "$dm")" = 1 ] || fail "$site: 'out of memory' printed again"

	# The log reads back to its durable count and ends with a prefix of
	# the O_SYNC writes: replay to m2, then the first k of them.
	dump "$DISK_log" >"$RESULTS/$site.dump"
	tail -1 "$RESULTS/$site.dump"
	if grep -q dm-log-writes-end "$RESULTS/$site.dump"; then fail "$site: end mark after an error"; fi
	# (each O_SYNC write is a FUA entry and a FLUSH entry)
	after=$(awk '/mark="m2"/ { m = 1; next } m && /flags=0x2\(FUA\)/ { n++ } END { print n + 0 }' "$RESULTS/$site.dump")
	echo "$site: $after of the 256 O_SYNC writes logged before the failure"
	[ "$after" -lt 256 ] || fail "$site: every write logged despite the failure"
	replay_to m2
	[ "$(sha256sum </tmp/replay)" = "$m2" ] || fail "$site: replay to m2 differs from the device at m2"
	dd if=/tmp/p13 of=/tmp/replay bs=4k count="$after" conv=notrunc 2>/dev/null
	expected=$(sha256sum </tmp/replay)
	replay_to
	[ "$(sha256sum </tmp/replay)" = "$expected" ] || fail "$site: replay to the end is not m2 + $after writes"
	rm -f /tmp/replay
}

nomem block 100
nomem data 100
nomem header 100

echo "== out of memory for a mark: the message fails, logging goes on"
zero_data
mark_dmesg
dmsetup create r --table "0 $size bb-log-writes $DISK_data $DISK_log"
dm=$(dmsetup info -c --noheadings --separator : -o major,minor r)
xfs_io -d -c "pwrite -q -S 0x21 0 64k" -c fsync /dev/mapper/r
for n in 1 2; do
	echo "$n" >"$params/fail_mark"
	if dmsetup message r 0 mark lost$n 2>"$RESULTS/mark$n.err"; then fail "mark accepted without memory ($n)"; fi
	cat "$RESULTS/mark$n.err"
	grep -q 'Cannot allocate memory' "$RESULTS/mark$n.err" || fail "mark failure $n is not ENOMEM"
	[ "$(status r | cut -d' ' -f3)" = logging ] || fail "logging stopped for a mark: $(status r)"
	dmsetup message r 0 mark kept$n
done
[ "$(nomem_lines "$dm")" = 0 ] || fail "a failed mark printed 'out of memory for log entry'"

echo "== out of memory for the end mark: the log is complete without it"
xfs_io -d -c "pwrite -q -S 0x22 64k 64k" /dev/mapper/r
echo 1 >"$params/fail_end_mark"
dmsetup remove r
[ "$(new_dmesg | grep -c "$dm: out of memory for the end mark; the log ends without it")" = 1 ] ||
	fail "expected one 'out of memory for the end mark' line"
dump "$DISK_log" >"$RESULTS/end-mark.dump"
tail -2 "$RESULTS/end-mark.dump"
if grep -q 'lost[12]\|dm-log-writes-end' "$RESULTS/end-mark.dump"; then fail "a failed mark is in the log"; fi
grep -q 'mark="kept2"' "$RESULTS/end-mark.dump" || fail "marks after the failures not logged"
replay_to
blockdev --flushbufs "$DISK_data"
cmp /tmp/replay "$DISK_data" || fail "replay of the log without its end mark differs from the data device"

rmmod dm_bb_log_writes_fault
echo "nomem ok"
