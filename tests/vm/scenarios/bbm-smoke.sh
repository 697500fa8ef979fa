#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-mirror smoke: 2 and 3 legs, core and disk logs; writes, status, fail_leg/readd_leg resyncing only what was written, a stale leg 0 after re-creation, legs identical, bad messages refused, rmmod.
# disks: a:32M b:32M c:32M log:4M
# modules: dm-mod dm-log dm-region-hash
# ours: dm-bb-mirror
# timeout: 900
set -e
export DM_DISABLE_UDEV=1
fail() { echo "FAIL: $*"; dmesg | grep bb-mirror | tail -30; exit 1; }
SZ=$(blockdev --getsz "$DISK_a")
RS=512 # 256 KiB regions: 128 of them on 32 MiB legs
N=$(( (SZ + RS - 1) / RS ))

# dmsetup status: <start> <len> bb-mirror <#legs> ...; our fields follow the
# log status. $2 = legs, $3 = words of the log status.
devnum_of() { printf '%d:%d' "0x$(stat -c %t "$1")" "0x$(stat -c %T "$1")"; }
devnum() { dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' '; }
ours() { # ours DEV LEGS LOGWORDS K -> our field K (1 = resync state)
	dmsetup status "$1" | awk -v n="$2" -v l="$3" -v k="$4" '{print $(n + 8 + l + k)}'
}
wait_sync() { # wait_sync DEV LEGS SECONDS
	i=0
	while [ "$(dmsetup status "$1" | awk -v n="$2" '{print $(n + 5)}')" != "$N/$N" ]; do
		i=$((i + 1))
		[ $i -le "$3" ] || fail "$1 not in sync after $3 s: $(dmsetup status "$1")"
		sleep 1
	done
}
legs_equal() {
	echo 3 >/proc/sys/vm/drop_caches
	cmp "$DISK_a" "$DISK_b" || fail "legs a and b differ"
	[ "$1" = 3 ] || return 0
	cmp "$DISK_a" "$DISK_c" || fail "legs a and c differ"
}
# must_refuse DEV WORD1 WORD2: -EINVAL/-EBUSY and three kernel lines: the
# message received, one line saying why, the message done with that error
# and the same sequence number (docs/operation-log.md).
must_refuse() {
	dev=$1
	shift
	before=$(dmesg | grep -c 'bb-mirror' || true)
	st=$(dmsetup status "$dev" | cut -d' ' -f1-)
	if dmsetup message "$dev" 0 "$@" 2>/dev/null; then fail "message '$*' accepted"; fi
	dmesg | grep 'bb-mirror' | tail -n +"$((before + 1))" >/tmp/refused
	[ "$(wc -l </tmp/refused)" = 3 ] || fail "message '$*': $(wc -l </tmp/refused) kernel lines, expected 3"
	seq=$(sed -n "1s/.*bb-mirror: $(devnum "$dev") \[CMD:3\] message received (seq \([0-9]*\)): $1 $2\$/\1/p" /tmp/refused)
	[ -n "$seq" ] || fail "message '$*': first line is not its 'received' line: $(sed -n 1p /tmp/refused)"
	sed -n 2p /tmp/refused | grep -q "bb-mirror: $(devnum "$dev") \[CMD:2[0-9][0-9]\] " ||
		fail "message '$*': no line saying why: $(sed -n 2p /tmp/refused)"
	sed -n 3p /tmp/refused | grep -q "\[CMD:5\] message done: -\(22\|16\) (seq $seq, [0-9]* ms)\$" ||
		fail "message '$*': last line is not its 'done' line: $(sed -n 3p /tmp/refused)"
	[ "$(dmsetup status "$dev")" = "$st" ] || fail "message '$*' changed the status"
}
# kline DEV PATTERN — DEV's kernel lines match PATTERN (after "<major:minor> ").
kline() { dmesg | grep -q "bb-mirror: $(devnum "$1") $2"; }

echo "== 2 legs, core log"
dmsetup create m --table "0 $SZ bb-mirror core 1 $RS 2 $DISK_a 0 $DISK_b 0"
dmsetup table m
wait_sync m 2 120
st=$(dmsetup status m)
echo "$st"
echo "== the initial resync's lines: start, progress every 10 %, ranges, done"
kline m "\[SYNC:230\] resync started (regions out of sync in the dirty log): $N of $N regions" ||
	fail "no start line for the initial resync"
dmesg | sed -n "s/.*bb-mirror: $(devnum m) \[SYNC:235\] resync progress: \([0-9]*\)% .*/\1/p" >/tmp/steps
echo "progress steps: $(tr '\n' ' ' </tmp/steps)"
[ -s /tmp/steps ] || fail "no progress line in a resync of $N regions"
sort -n -u /tmp/steps | cmp -s - /tmp/steps || fail "progress steps not increasing: $(tr '\n' ' ' </tmp/steps)"
kline m "\[SYNC:231\] resync copied regions 0-$((N - 1))\$" || fail "no range line for the initial resync"
kline m "\[SYNC:236\] resync done: $N regions" || fail "no end line for the initial resync"
echo "$st" | grep -Eq "^0 $SZ bb-mirror 2 [0-9]+:[0-9]+ [0-9]+:[0-9]+ $N/$N 1 AA 1 core 9 idle [0-9]+ 0 0 0 AA 0 0 4$" ||
	fail "status: $st"
xfs_io -d -c "pwrite -q -S 0x5a -b 1m 0 8m" /dev/mapper/m
legs_equal 2

echo "== fail leg 1, write 3 regions, readd"
dmsetup message m 0 fail_leg 1
[ "$(ours m 2 2 6)" = AF ] || fail "leg states after fail_leg: $(dmsetup status m)"
dmsetup status m | grep -q " 1 AD 1 core " || fail "health after fail_leg: $(dmsetup status m)"
xfs_io -d -c "pwrite -q -S 0x11 $((2 * RS * 512)) 4096" -c "pwrite -q -S 0x22 $((3 * RS * 512 + 8192)) 65536" \
	-c "pwrite -q -S 0x33 $((50 * RS * 512)) 256k" /dev/mapper/m
[ "$(dmsetup status m | awk '{print $7}')" = "$((N - 3))/$N" ] || fail "3 regions out of sync: $(dmsetup status m)"
xfs_io -c "pread -q 0 8m" /dev/mapper/m
echo 3 >/proc/sys/vm/drop_caches
cmp "$DISK_a" "$DISK_b" >/dev/null 2>&1 && fail "leg 1 got writes while failed"
must_refuse m readd_leg 0
must_refuse m fail_leg 1
must_refuse m fail_leg 0
must_refuse m fail_leg 2
must_refuse m fail_leg x
must_refuse m resync resume
must_refuse m resync_rate fast
must_refuse m frobnicate 1
dmsetup message m 0 readd_leg 1
wait_sync m 2 60
sleep 1
dmsetup status m
[ "$(ours m 2 2 2)" = 3 ] || fail "resync copied $(ours m 2 2 2) regions, expected 3"
[ "$(ours m 2 2 6)" = AA ] || fail "leg states after resync: $(dmsetup status m)"
dmsetup status m | grep -q " 1 AA 1 core " || fail "health after resync: $(dmsetup status m)"
legs_equal 2
kline m "\[STATE:210\] leg1( current -> failed ) \[message fail_leg\]" || fail "no state line for fail_leg"
kline m "\[STATE:211\] leg1( failed -> stale ) \[message readd_leg\]" || fail "no state line for readd_leg"
kline m "\[SYNC:230\] resync started (leg 1 re-added): 3 of" || fail "no start line"
kline m "\[SYNC:231\] resync copied regions 2-3" || fail "no range line"
kline m "\[SYNC:232\] resync skipped in-sync regions 4-49" || fail "no skipped range line"
kline m "\[SYNC:231\] resync copied regions 50-50" || fail "no range line for region 50"
kline m "\[SYNC:236\] resync done: 3 regions" || fail "no end line"
kline m "\[STATE:213\] leg1( stale -> current ) \[resync done\]" || fail "no state line for leg 1 back in sync"

echo "== pause, rate, table round trip"
dmsetup message m 0 resync pause
[ "$(ours m 2 2 1)" = paused ] || fail "not paused"
kline m "\[STATE:214\] resync( idle -> paused ) \[message resync pause\]\$" || fail "no state line for pause"
dmsetup message m 0 resync resume
kline m "\[STATE:214\] resync( paused -> idle ) \[message resync resume\]\$" || fail "no state line for resume"
dmsetup message m 0 resync_rate 2048
table=$(dmsetup table m)
echo "$table"
echo "$table" | grep -q "core 1 $RS 2 [0-9:]* 0 [0-9:]* 0 2 resync_rate 2048$" || fail "table: $table"
dmsetup remove m
dmsetup create m --table "$table"
[ "$(dmsetup table m)" = "$table" ] || fail "table did not round trip"
dmsetup remove m

echo "== 3 legs, disk log, handle_errors"
dd if=/dev/zero of="$DISK_log" bs=1M count=4 2>/dev/null
T3="0 $SZ bb-mirror disk 2 $DISK_log $RS 3 $DISK_a 0 $DISK_b 0 $DISK_c 0 3 handle_errors resync_parallel 8"
dmsetup create m3 --table "$T3"
wait_sync m3 3 180
dmsetup status m3
dmsetup status m3 | grep -Eq " $N/$N 1 AAA 3 disk [0-9:]+ A 9 idle [0-9]+ 0 0 0 AAA 0 0 8$" ||
	fail "status: $(dmsetup status m3)"
legs_equal 3
dmsetup message m3 0 fail_leg 0
[ "$(ours m3 3 4 7)" = 1 ] || fail "source leg after fail_leg 0: $(dmsetup status m3)"
xfs_io -d -c "pwrite -q -S 0x77 1m 3m" /dev/mapper/m3
xfs_io -c "pread -q -v 1m 4096" /dev/mapper/m3 | head -1 | grep -q '77 77' || fail "read back"
echo "== remove with leg 0 failed, create again: leg 0 stale, copied to"
dmsetup remove m3
dmsetup create m3 --table "$T3"
kline m3 "\[STATE:212\] leg0( current -> stale ) \[resume\] the leg state block (generation [0-9]*) says it is stale" ||
	fail "stale leg not found"
wait_sync m3 3 60
sleep 1
dmsetup status m3
[ "$(ours m3 3 4 6)" = AAA ] || fail "leg states: $(dmsetup status m3)"
kline m3 "\[SYNC:230\] resync started (leg(s) 0 stale at construction): [0-9]* of .* from leg 1 to 0,2" ||
	fail "no start line with the right direction"
legs_equal 3
echo 3 >/proc/sys/vm/drop_caches
xfs_io -c "pread -q -v 1m 4096" "$DISK_a" | head -1 | grep -q '77 77' || fail "leg 0 did not get the data"
echo "== fail/readd leg 2 while writing"
dmsetup message m3 0 fail_leg 2
xfs_io -d -c "pwrite -q -S 0x99 20m 2m" /dev/mapper/m3
dmsetup message m3 0 readd_leg 2
xfs_io -d -c "pwrite -q -S 0x98 28m 1m" /dev/mapper/m3
wait_sync m3 3 60
legs_equal 3
echo "== write-zeroes and discard across regions"
cat /sys/block/dm-*/queue/write_zeroes_max_bytes /sys/block/dm-*/queue/discard_max_bytes
xfs_io -c "fzero $((5 * RS * 512 + 4096)) $((3 * RS * 512))" /dev/mapper/m3
/usr/sbin/blkdiscard -o $((90 * RS * 512)) -l $((4 * RS * 512)) /dev/mapper/m3 || echo "discard not supported"
xfs_io -c "pread -q -v $((5 * RS * 512 + 4096)) 512" /dev/mapper/m3 | head -1 | grep -q ' 00 00 00 00' ||
	fail "write-zeroes not zero"
wait_sync m3 3 60
legs_equal 3
echo "== a nosync disk log: fail_leg/readd_leg copy only what was written"
dmsetup remove m3
dd if=/dev/zero of="$DISK_log" bs=1M count=4 2>/dev/null
TN="0 $SZ bb-mirror disk 3 $DISK_log $RS nosync 2 $DISK_a 0 $DISK_b 0"
dmsetup create mn --table "$TN"
[ "$(dmsetup table mn)" = "0 $SZ bb-mirror disk 3 $(devnum_of "$DISK_log") $RS nosync 2 $(devnum_of "$DISK_a") 0 $(devnum_of "$DISK_b") 0" ] ||
	fail "table: $(dmsetup table mn)"
for round in 1 2; do
	dmsetup message mn 0 fail_leg 1
	xfs_io -d -c "pwrite -q -S 0x4$round $((round * 10 * RS * 512)) 512k" /dev/mapper/mn
	dmsetup message mn 0 readd_leg 1
	wait_sync mn 2 60
	sleep 1
	[ "$(ours mn 2 4 2)" = 2 ] || fail "round $round copied $(ours mn 2 4 2) regions, expected 2"
	legs_equal 2
done
dmsetup remove mn
dd if=/dev/zero of="$DISK_log" bs=1M count=4 2>/dev/null
dmsetup create m3 --table "$T3"
wait_sync m3 3 60
echo "== suspend/resume, remove and rmmod under I/O"
(while xfs_io -d -c "pwrite -q -b 64k 0 4m" /dev/mapper/m3 2>/dev/null; do :; done) &
writer=$!
sleep 1
for _ in 1 2 3; do
	dmsetup suspend m3
	dmsetup resume m3
done
dmsetup message m3 0 fail_leg 1
sleep 1
dmsetup message m3 0 readd_leg 1
if rmmod dm_bb_mirror 2>/dev/null; then fail "module unloaded while in use"; fi
dmsetup remove --retry m3
wait $writer || true
echo "== read errors on leg 0 are retried on leg 1"
dmsetup create l0 --table "0 $SZ linear $DISK_a 0"
dmsetup create l1 --table "0 $SZ linear $DISK_b 0"
dmsetup create mr --table "0 $SZ bb-mirror core 2 $RS nosync 2 /dev/mapper/l0 0 /dev/mapper/l1 0"
xfs_io -d -c "pwrite -q -S 0x6b 0 8m" /dev/mapper/mr
dmsetup suspend l0
dmsetup load l0 --table "0 $SZ error"
dmsetup resume l0
for off in 0 1m 2m 3m 4m 5m 6m 7m; do
	xfs_io -d -c "pread -q -v $off 4096" /dev/mapper/mr | head -1 | grep -q '6b 6b 6b' ||
		fail "read at $off did not return the data"
done
dmsetup status mr
dmsetup status mr | grep -q " 1 RA 1 core " || fail "health after read errors: $(dmsetup status mr)"
kline mr "\[IO:246\] read error on leg 0 at sector" || fail "no read error line"
dmsetup remove mr
dmsetup remove l0 l1
if rmmod dm_bb_mirror; then :; else fail "rmmod"; fi
dmesg | grep bb-mirror
echo "bbm-smoke ok"
