#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-mirror on a userspace dirty log served by dirtylogd: initial resync, fail_leg/readd_leg resyncing only what was written, dirtylogd killed mid-write and restarted, legs identical, libdirtylog reads the log.
# disks: ua:32M ub:32M ulog:1M
# modules: dm-mod dm-log dm-log-userspace dm-region-hash
# ours: dm-bb-mirror
# timeout: 600
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
. "$BB_LIB/bbm.sh"
SZ=$(blockdev --getsz "$DISK_ua")
RS=128 # 64 KiB regions: 512 of them
N=$((SZ / RS))
LOG=$RESULTS/dirtylogd.log
TABLE="0 $SZ bb-mirror userspace 4 bb-dirtylog-bbmu disk $DISK_ulog $RS 2 $DISK_ua 0 $DISK_ub 0 1 handle_errors"

start_daemon() {
	dirtylogd --pidfile "$RESULTS/dirtylogd.pid" 2>>"$LOG" &
	sleep 1
	kill -0 "$(cat "$RESULTS/dirtylogd.pid")" || fail "dirtylogd did not start: $(cat "$LOG")"
}
fio_w() { # fio_w NAME MIB — random 64 KiB direct writes over the device
	fio --name="$1" --filename=/dev/mapper/u --rw=randwrite --bs=64k --size=32M --io_size="$2"M \
		--direct=1 --ioengine=psync --randrepeat=0 --output="$RESULTS/fio-$1.txt"
}

start_daemon
dmsetup create u --table "$TABLE"
dmsetup table u
bbm_wait_sync u 180
echo "in sync: $BBM_RAW"
echo "$BBM_LOG" | grep -q '^3 disk [0-9]*:[0-9]* A$' || fail "log status '$BBM_LOG': not the daemon's disk log, healthy"

echo "== fail_leg 1, 4 MiB of writes, readd_leg 1"
dmsetup message u 0 fail_leg 1
xfs_io -d -c "pwrite -q -S 0x31 -b 64k 2m 4m" /dev/mapper/u
bbm_parse u
dirty=$((BBM_TOTAL - BBM_INSYNC))
echo "leg 1 failed, $dirty regions out of sync: $BBM_RAW"
[ "$dirty" = 64 ] || fail "4 MiB in 64 KiB regions is 64 regions, the log holds $dirty out of sync"
dmsetup message u 0 readd_leg 1
bbm_wait_sync u 60
echo "resynced: $BBM_RAW"
[ "$BBM_COPIED" = 64 ] || fail "the resync copied $BBM_COPIED regions, want 64"
[ "$(sum "$DISK_ua")" = "$(sum "$DISK_ub")" ] || fail "legs differ after the re-add"

echo "== dirtylogd killed during writes, restarted"
fio_w k 16 &
fio_pid=$!
sleep 2
kill -9 "$(cat "$RESULTS/dirtylogd.pid")"
echo "daemon killed"
sleep 3
start_daemon
echo "daemon restarted"
wait $fio_pid || fail "writes failed across the daemon restart: $(cat "$RESULTS/fio-k.txt")"
dmsetup status u
# The kernel's userspace log asks for resync work again after a resume.
dmsetup suspend u
dmsetup resume u
bbm_wait_sync u 180
echo "after the restart: $BBM_RAW"
dmsetup remove u
[ "$(sum "$DISK_ua")" = "$(sum "$DISK_ub")" ] || fail "legs differ after the daemon restart"
echo "legs identical"
dirtylog inspect "$DISK_ulog" --region-size $RS --device-sectors "$SZ" --json >"$RESULTS/log.json"
grep -q "\"sync_count\":$N," "$RESULTS/log.json" || fail "the daemon's disk log does not read all in sync: $(cat "$RESULTS/log.json")"
# The restarted daemon got the log's constructor again (docs/operation-log.md:
# STATE 310 for a log it did not hold), and every line of both daemons is in
# the operation log's catalogue.
grep -q '\[STATE:31[01]\] log( [a-z]* -> created ) \[DM_ULOG_CTR\] .*disk log' "$LOG" ||
	fail "no constructor of the disk log in the daemon's lines: $(tail -n 5 "$LOG")"
bbctl log --strict "$LOG" >"$RESULTS/dirtylogd-timeline.txt" ||
	fail "dirtylogd printed lines outside the catalogue: $(tail -n 5 "$RESULTS/dirtylogd-timeline.txt")"
kill "$(cat "$RESULTS/dirtylogd.pid")"
sleep 1
cat "$LOG"
