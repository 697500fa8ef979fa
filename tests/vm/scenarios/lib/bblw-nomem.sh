# SPDX-License-Identifier: GPL-2.0-or-later
# Shell functions of bblw-nomem (the fault-injection build) and
# bblw-failslab (the kernel's own injection on the debug kernel): the same
# outcomes of a failure injected into bb-log-writes, checked once.
# . "$BB_LIB/bblw-nomem.sh" in a scenario with disks data:16M log:32M.

fail() { echo "FAIL: $*"; exit 1; }
# shellcheck disable=SC2046 # status fields, split on purpose
status() { set -- $(dmsetup status "$1"); shift 3; echo "$*"; }
dump() { blockdev --flushbufs "$1"; replay-log --no-index --log "$1" --dump; }
size=$(blockdev --getsz "$DISK_data")
bytes=$((size * 512))
# The 1 MiB the O_SYNC writes of each case put at offset 0.
xfs_io -f -c "pwrite -q -S 0x13 0 1m" /tmp/p13 >/dev/null
# Kernel lines since the last mark_dmesg (device numbers are reused).
mark_dmesg() { base=$(dmesg | wc -l); }
new_dmesg() { dmesg | tail -n +$((base + 1)); }
zero_data() { dd if=/dev/zero of="$DISK_data" bs=1M count=16 conv=fsync 2>/dev/null; }

# replay_to [MARK] — the log replayed to MARK (or to its end) into a fresh
# image, /tmp/replay.
replay_to() {
	rm -f /tmp/replay
	truncate -s "$bytes" /tmp/replay
	replay-log --no-index --log "$DISK_log" --replay /tmp/replay ${1:+--end-mark "$1"} >/dev/null
}

# start_case SITE — device r on a zeroed data disk and a fresh log, two
# logged writes and marks m1, m2; sets dm (major:minor) and m2 (the
# checksum of the device at m2). The caller then arms its failure and
# runs $writes: 1 MiB of 4 KiB O_SYNC direct writes (FUA entries).
# shellcheck disable=SC2034 # run by the scenarios
writes="pwrite -q -S 0x13 -b 4k 0 1m"
start_case() {
	echo "== $*"
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
}

# check_no_memory SITE — status says logging stopped for lack of memory,
# and one kernel line says so, naming the entry status names.
check_no_memory() {
	# shellcheck disable=SC2046 # status fields, split on purpose
	set -- $(status r)
	echo "status: $*"
	{ [ "$3" = error ] && [ "$6" = no_memory ] && [ "$5" = 0 ]; } || fail "$site: status: $*"
	[ "$(new_dmesg | grep -c "$dm \[STATE:112\] log( logging -> error ) \[[^]]*\] out of memory for log entry")" = 1 ] ||
		fail "$site: expected one 'out of memory' line for $dm"
	new_dmesg | grep -q "$dm \[STATE:112\] log( logging -> error ) \[[^]]*\] out of memory for log entry $7; logging stopped" ||
		fail "$site: kernel line names another entry than status ($7)"
}

# check_stopped SITE [DURABLE] — after logging stopped: marks refused, the
# data device goes on unlogged, r removed; the log reads back (to DURABLE
# entries when given), has no end mark, and ends with a prefix of the
# O_SYNC writes: replay to m2, then the first k of them.
check_stopped() {
	site=$1 durable=${2:-}
	if dmsetup message r 0 mark late 2>/dev/null; then fail "$site: mark accepted after logging stopped"; fi
	xfs_io -d -c "pwrite -q -S 0x14 4m 64k" -c fsync /dev/mapper/r
	xfs_io -d -r -c "pread -q -v 4m 512" /dev/mapper/r | grep -q '14 14 14' || fail "$site: data stopped"
	blockdev --flushbufs /dev/mapper/r
	cmp -n 1048576 /tmp/p13 /dev/mapper/r || fail "$site: O_SYNC writes did not all reach the disk"
	dmsetup remove r

	dump "$DISK_log" >"$RESULTS/$site.dump"
	tail -1 "$RESULTS/$site.dump"
	if grep -q dm-log-writes-end "$RESULTS/$site.dump"; then fail "$site: end mark after an error"; fi
	if [ -n "$durable" ]; then
		grep -q "^end entries=$durable " "$RESULTS/$site.dump" ||
			fail "$site: the superblock does not keep the $durable durable entries"
	fi
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

# start_marks — device r logging, one write; the caller fails "mark lostN"
# for N = 1, 2 (each followed by a "mark keptN" that works).
start_marks() {
	echo "== out of memory for a mark's text, then its block: the message fails, logging goes on"
	zero_data
	mark_dmesg
	dmsetup create r --table "0 $size bb-log-writes $DISK_data $DISK_log"
	dm=$(dmsetup info -c --noheadings --separator : -o major,minor r)
	xfs_io -d -c "pwrite -q -S 0x21 0 64k" -c fsync /dev/mapper/r
}
# check_mark_failed N — "mark lostN" failed with ENOMEM, logging goes on;
# then mark keptN.
check_mark_failed() {
	cat "$RESULTS/mark$1.err"
	grep -q 'Cannot allocate memory' "$RESULTS/mark$1.err" || fail "mark failure $1 is not ENOMEM"
	[ "$(status r | cut -d' ' -f3)" = logging ] || fail "logging stopped for a mark: $(status r)"
	dmsetup message r 0 mark "kept$1"
}
# check_end_mark_lost — after r was removed with its end mark failed: one
# kernel line, the log has neither failed mark nor an end mark, and it
# replays to the data device.
check_end_mark_lost() {
	[ "$(new_dmesg | grep -c "$dm \[MEM:130\] out of memory for the end mark; the log ends without it")" = 1 ] ||
		fail "expected one 'out of memory for the end mark' line"
	dump "$DISK_log" >"$RESULTS/end-mark.dump"
	tail -2 "$RESULTS/end-mark.dump"
	if grep -q 'lost[12]\|dm-log-writes-end' "$RESULTS/end-mark.dump"; then fail "a failed mark is in the log"; fi
	grep -q 'mark="kept2"' "$RESULTS/end-mark.dump" || fail "marks after the failures not logged"
	replay_to
	blockdev --flushbufs "$DISK_data"
	cmp /tmp/replay "$DISK_data" || fail "replay of the log without its end mark differs from the data device"
}
