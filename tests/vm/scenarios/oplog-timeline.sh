#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The operation log end to end: `bbctl events` runs from before the first device to after the last; bb-mirror's fault / refused fail_leg / paused re-add / resync, bb-log-writes' log full and log error, and a write-error storm on a mirror without handle_errors; then `bbctl log` on /dev/kmsg and on the saved dmesg must agree, and oplog-timeline.host checks both timelines and the event stream.
# disks: a:16M b:16M mlog:1M data:8M data2:8M blog:1M blog2:1M
# modules: dm-mod dm-log dm-region-hash dm-flakey
# ours: dm-bb-mirror dm-bb-log-writes
# timeout: 600
set -e
. "$BB_LIB/bbm.sh"
SZ=$(blockdev --getsz "$DISK_a")
RS=64 # 32 KiB regions: 512 of them

write() { timeout 60 xfs_io -d -c "pwrite -q -S $4 -b 64k $(($3 * 1048576)) $(($2 * 1048576))" "$1" || fail "write to $1 failed or hung"; }
devnum() { dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' '; }

echo "== bbctl events, from before the first device"
bbctl events --timestamps >"$RESULTS/events.txt" 2>&1 &
ev_text=$!
bbctl events --json >"$RESULTS/events.json" 2>&1 &
ev_json=$!
i=0
until grep -q '^.* exists -$' "$RESULTS/events.txt" && grep -q '"object":null' "$RESULTS/events.json"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "bbctl events printed no initial state: $(cat "$RESULTS/events.txt")"
	sleep 0.1
done

echo "== bb-mirror: leg 1 fails writes (handle_errors), a refused fail_leg, a paused re-add, the resync"
for d in "l0 $DISK_a" "l1 $DISK_b" "lg $DISK_mlog"; do
	# shellcheck disable=SC2086 # name and disk
	set -- $d
	dmsetup create "$1" --table "$(linear "$2")"
done
# An all-clean log (nosync), kept by the mirror created again without it.
dmsetup create m --table "0 $SZ bb-mirror disk 3 /dev/mapper/lg $RS nosync 2 /dev/mapper/l0 0 /dev/mapper/l1 0 1 handle_errors"
dmsetup remove m
dmsetup create m --table "0 $SZ bb-mirror disk 2 /dev/mapper/lg $RS 2 /dev/mapper/l0 0 /dev/mapper/l1 0 1 handle_errors"
echo "m $(devnum m) bb-mirror" >"$RESULTS/devices"
swap l1 "$(bad_writes "$DISK_b")"
write /dev/mapper/m 1 4 0x5a
bbm_parse m
[ "$BBM_LEGSTATE" = AF ] || fail "leg states $BBM_LEGSTATE after a write error, want AF"
if dmsetup message m 0 fail_leg 0 2>/dev/null; then fail "fail_leg 0 accepted with leg 1 failed"; fi
write /dev/mapper/m 1 8 0x5b
swap l1 "$(linear "$DISK_b")"
dmsetup message m 0 resync pause
dmsetup message m 0 readd_leg 1
sleep 1
bbm_parse m
[ "$BBM_STATE" = paused ] || fail "resync state $BBM_STATE after readd_leg while paused"
# Slow enough for bbctl events to see it run: 2 MiB at 512 KiB/s.
dmsetup message m 0 resync_rate 512
dmsetup message m 0 resync resume
bbm_wait_sync m 60
dmsetup remove m

echo "== bb-log-writes: a log too small fills up; a log device that fails"
dmsetup create small --table "0 1024 linear $DISK_blog 0"
dmsetup create r --table "0 $(blockdev --getsz "$DISK_data") bb-log-writes $DISK_data /dev/mapper/small"
echo "r $(devnum r) bb-log-writes" >>"$RESULTS/devices"
write /dev/mapper/r 2 0 0x11
dmsetup message r 0 mark after-full 2>/dev/null || true
dmsetup remove r
dmsetup create lw --table "$(linear "$DISK_blog2")"
dmsetup create r2 --table "0 $(blockdev --getsz "$DISK_data2") bb-log-writes $DISK_data2 /dev/mapper/lw"
echo "r2 $(devnum r2) bb-log-writes" >>"$RESULTS/devices"
xfs_io -d -c "pwrite -q -S 0x12 -b 64k 0 128k" -c fsync /dev/mapper/r2 || fail "a write to r2 failed"
swap lw "0 $(blockdev --getsz "$DISK_blog2") error"
# Data writes still succeed; the log's writes fail.
xfs_io -d -c "pwrite -q -S 0x13 -b 64k 0 128k" -c fsync /dev/mapper/r2 >/dev/null 2>&1 || true
i=0
until [ "$(dmsetup status r2 | cut -d' ' -f6)" = error ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "r2's log never went to error: $(dmsetup status r2)"
	sleep 0.1
done
dmsetup remove r2

echo "== a write-error storm without handle_errors: the rate limit holds"
dmsetup create f --table "0 $SZ bb-mirror core 2 $RS nosync 2 /dev/mapper/l0 0 /dev/mapper/l1 0"
echo "f $(devnum f) bb-mirror" >>"$RESULTS/devices"
swap l1 "$(bad_writes "$DISK_b")"
timeout 60 xfs_io -d -c "pwrite -q -S 0x6b -b 4m 0 4m" /dev/mapper/f || fail "the 4 MiB write failed or hung"
swap l1 "$(linear "$DISK_b")"
# A new table, swapped in by reload + resume (one ioctl: no suspend seen,
# no event of f's own): bbctl events must show it (f's log: core -> disk).
dmsetup reload f --table "0 $SZ bb-mirror disk 2 /dev/mapper/lg $RS 2 /dev/mapper/l0 0 /dev/mapper/l1 0"
dmsetup resume f
dmsetup remove f
for d in l0 l1 lg small lw; do dmsetup remove "$d"; done

echo "== stop bbctl events"
sleep 0.5
kill -INT "$ev_text" "$ev_json"
wait "$ev_text" || fail "bbctl events (text) exited $?: $(tail -n 3 "$RESULTS/events.txt")"
wait "$ev_json" || fail "bbctl events (json) exited $?"

echo "== bbctl log: from /dev/kmsg and from dmesg's text"
dmesg >"$RESULTS/kernel.log"
bbctl log --strict >"$RESULTS/timeline-kmsg.txt" || fail "bbctl log (kmsg) exited $?: $(tail -n 5 "$RESULTS/timeline-kmsg.txt")"
bbctl log --strict "$RESULTS/kernel.log" >"$RESULTS/timeline.txt" || fail "bbctl log exited $?"
bbctl log --strict --json "$RESULTS/kernel.log" >"$RESULTS/timeline.json" || fail "bbctl log --json exited $?"
# The same lines from the two sources (kmsg may hold lines dmesg's buffer
# dropped, never fewer): the timelines agree.
diff -u "$RESULTS/timeline.txt" "$RESULTS/timeline-kmsg.txt" || fail "the kmsg and dmesg timelines differ"
bbctl log --device m "$RESULTS/kernel.log" 2>&1 | grep -q 'no device-mapper device "m"' ||
	fail "bbctl log --device of a removed device is not refused"
echo "timelines:"
cat "$RESULTS/timeline.txt"
