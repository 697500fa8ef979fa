#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dirtylogd serves a userspace disk log to the in-tree mirror: fio, status, suspend/resume, daemon killed mid-write and restarted, legs identical.
# disks: ua:64M ub:64M ulog:1M
# modules: dm-mirror dm-log dm-log-userspace dm-region-hash
# timeout: 420
set -e
fail() { echo "FAIL: $*"; exit 1; }
export DM_DISABLE_UDEV=1
SZ=$(blockdev --getsz "$DISK_ua")
RS=1024
N=$(( (SZ + RS - 1) / RS ))
LOG=$RESULTS/dirtylogd.log

start_daemon() {
	dirtylogd --pidfile "$RESULTS/dirtylogd.pid" 2>>"$LOG" &
	sleep 1
	kill -0 "$(cat "$RESULTS/dirtylogd.pid")"
}
# The sync field of `dmsetup status` for a 2-leg mirror: "<in sync>/<total>".
sync_field() { dmsetup status "$1" | awk '{print $7}'; }
wait_sync() { # wait_sync DEV SECONDS
	i=0
	while [ "$(sync_field "$1")" != "$N/$N" ]; do
		i=$((i + 1))
		[ $i -le "$2" ] || { echo "no sync after $2 s: $(dmsetup status "$1")"; return 1; }
		sleep 1
	done
}

start_daemon
dmsetup create um --table "0 $SZ mirror userspace 4 bb-dirtylog-um disk $DISK_ulog $RS 2 $DISK_ua 0 $DISK_ub 0"
dmsetup table um
wait_sync um 120
status=$(dmsetup status um)
echo "in sync: $status"
# Both legs alive, and the log part is our disk log's INFO status, healthy.
echo "$status" | grep -q " 1 AA 3 disk [0-9]*:[0-9]* A$" || { echo "unexpected status"; exit 1; }

fio --name=w --filename=/dev/mapper/um --rw=randwrite --bs=64k --size=64M --io_size=8M \
	--direct=1 --ioengine=psync --randrepeat=0 --output="$RESULTS/fio1.txt"

dmsetup suspend um
dmsetup status um | tee "$RESULTS/suspended-status.txt"
dmsetup resume um
wait_sync um 60

# Kill the daemon in the middle of writes; the kernel keeps retrying and
# blocks the writes until a new daemon answers its constructor and resume.
fio --name=k --filename=/dev/mapper/um --rw=randwrite --bs=64k --size=64M --io_size=24M \
	--direct=1 --ioengine=psync --randrepeat=0 --output="$RESULTS/fio2.txt" &
fio_pid=$!
sleep 3
kill -9 "$(cat "$RESULTS/dirtylogd.pid")"
echo "daemon killed"
sleep 4
start_daemon
echo "daemon restarted"
wait $fio_pid
# Regions dirty when the daemon died come back out of sync. The kernel's
# userspace log stopped asking for resync work once it saw everything in
# sync, and only its own resume makes it ask again: suspend and resume.
dmsetup status um | tee "$RESULTS/after-restart-status.txt"
dmsetup suspend um
dmsetup resume um
wait_sync um 180
dmsetup status um | tee "$RESULTS/final-status.txt"
dmsetup remove um

cmp "$DISK_ua" "$DISK_ub"
echo "legs identical"
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
dmesg | grep -i "userspace log" || true
