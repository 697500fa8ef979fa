#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults: a log too small (default: data goes on unlogged; error_on_full:
# writes fail with ENOSPC and the log stays complete), a log device that
# starts failing (dm "error" target swapped under it, then dm-flakey with
# error_writes in its down interval), and a data device that fails writes
# (errors passed up, failed writes not logged).
# disks: data:32M data2:8M log:16M
# modules: dm-mod dm-flakey
# ours: dm-bb-log-writes
# timeout: 240
set -e
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck disable=SC2046 # status fields, split on purpose
status() { set -- $(dmsetup status "$1"); shift 3; echo "$*"; }
dump() { blockdev --flushbufs "$1"; replay-log --no-index --log "$1" --dump; }
full_lines() { dmesg | grep -c "$1 \[STATE:110\] log( logging -> full ) \[map\] log device full at entry .*$2" || true; }
logsz=$(blockdev --getsz "$DISK_log")
# A 1 MiB log: the superblock, about 15 entries of 64 KiB, the end mark.
dmsetup create small --table "0 2048 linear $DISK_log 0"

echo "== log full, default: writes go on unlogged"
size=$(blockdev --getsz "$DISK_data")
dmsetup create f --table "0 $size bb-log-writes $DISK_data /dev/mapper/small"
dm=$(dmsetup info -c --noheadings --separator : -o major,minor f)
xfs_io -d -c "pwrite -q -S 0x31 -b 64k 0 2m" -c fsync /dev/mapper/f
xfs_io -d -c "pwrite -q -S 0x32 -b 64k 2m 1m" -c fsync /dev/mapper/f
# shellcheck disable=SC2046 # status fields, split on purpose
set -- $(status f)
echo "status: $*"
{ [ "$3" = full ] && [ "$6" = log_full ]; } || fail "status: $*"
entry=$7
[ "$(full_lines "$dm" "are not logged")" = 1 ] || fail "expected one 'log device full' line for $dm"
dmesg | grep "$dm \[STATE:110\] log( logging -> full ) \[map\] log device full at entry $entry:" || fail "dmesg names another entry than status ($entry)"
if dmsetup message f 0 mark late 2>/dev/null; then fail "mark accepted on a full log"; fi
xfs_io -d -r -c "pread -q -v 3145216 512" /dev/mapper/f | grep -q '32 32 32' || fail "data did not reach the disk"
dmsetup remove f
# The commands of f's life, each a received/done pair in order
# (docs/operation-log.md): create = ctr + resume, the refused mark,
# remove = presuspend, postsuspend, dtr.
dmesg | sed -n -e "s/, [0-9]* ms)\$/)/" -e "s/.*bb-log-writes: $dm \(\[CMD:[0-9]*\] .*\)/\1/p" >"$RESULTS/full.cmds"
cat >"$RESULTS/full.cmds.expected" <<'END'
[CMD:1] ctr received (seq 1)
[CMD:2] ctr done: 0 (seq 1)
[CMD:1] resume received (seq 2)
[CMD:2] resume done: 0 (seq 2)
[CMD:3] message received (seq 3): mark late
[CMD:5] message done: -28 (seq 3)
[CMD:1] presuspend received (seq 4)
[CMD:2] presuspend done: 0 (seq 4)
[CMD:1] postsuspend received (seq 5)
[CMD:2] postsuspend done: 0 (seq 5)
[CMD:1] dtr received (seq 6)
[CMD:2] dtr done: 0 (seq 6)
END
diff -u "$RESULTS/full.cmds.expected" "$RESULTS/full.cmds" || fail "f's commands are not the expected pairs"
dump /dev/mapper/small >"$RESULTS/full.dump"
tail -2 "$RESULTS/full.dump"
grep -q "^end entries=$entry " "$RESULTS/full.dump" || fail "log holds other than $entry entries"
if grep -q dm-log-writes-end "$RESULTS/full.dump"; then fail "end mark on an incomplete log"; fi

echo "== log full, error_on_full: writes fail with ENOSPC, the log is complete"
size2=$(blockdev --getsz "$DISK_data2")
dmsetup create g --table "0 $size2 bb-log-writes $DISK_data2 /dev/mapper/small 1 error_on_full"
dm=$(dmsetup info -c --noheadings --separator : -o major,minor g)
if xfs_io -d -c "pwrite -q -S 0x41 -b 64k 0 2m" /dev/mapper/g 2>"$RESULTS/enospc.err"; then
	fail "writes past a full log succeeded"
fi
cat "$RESULTS/enospc.err"
grep -q 'No space left on device' "$RESULTS/enospc.err" || fail "not ENOSPC"
if xfs_io -d -c "pwrite -q -S 0x42 4m 4k" /dev/mapper/g 2>/dev/null; then fail "second write succeeded"; fi
# shellcheck disable=SC2046 # status fields, split on purpose
set -- $(status g)
echo "status: $*"
[ "$3" = full ] || fail "status: $*"
[ "$(full_lines "$dm" "fail with -ENOSPC")" = 1 ] || fail "expected one 'log device full' line for $dm"
dmsetup remove g
dump /dev/mapper/small | tail -1
truncate -s 8M /tmp/replay
replay-log --no-index --log /dev/mapper/small --replay /tmp/replay --end-mark dm-log-writes-end
a=$(sha256sum </tmp/replay)
b=$(sha256sum <"$DISK_data2")
[ "$a" = "$b" ] || fail "replay of a complete log differs from the data device"
rm /tmp/replay
dmsetup remove small

echo "== log device errors: logging stops, data goes on"
dmsetup create lg --table "0 $logsz linear $DISK_log 0"
dmsetup create h --table "0 $size bb-log-writes $DISK_data /dev/mapper/lg"
xfs_io -d -c "pwrite -q -S 0x51 0 64k" -c fsync /dev/mapper/h
dmsetup message h 0 mark before-error
good=$(status h | cut -d' ' -f1)
dmsetup load lg --table "0 $logsz error"
dmsetup resume lg
xfs_io -d -c "pwrite -q -S 0x52 64k 64k" -c fsync /dev/mapper/h
if dmsetup message h 0 mark after-error 2>/dev/null; then fail "mark accepted by a failing log"; fi
xfs_io -d -c "pwrite -q -S 0x53 128k 64k" -c fsync /dev/mapper/h
xfs_io -d -r -c "pread -q -v 128k 512" /dev/mapper/h | grep -q '53 53 53' || fail "data stopped"
# shellcheck disable=SC2046 # status fields, split on purpose
set -- $(status h)
echo "status: $*"
{ [ "$3" = error ] && [ "$6" = log_error ]; } || fail "status: $*"
dmesg | grep -q 'log write failed' || fail "no kernel log line"
dmsetup load lg --table "0 $logsz linear $DISK_log 0"
dmsetup resume lg
dmsetup remove h
dump /dev/mapper/lg >"$RESULTS/error.dump"
tail -2 "$RESULTS/error.dump"
grep -q "^end entries=$good " "$RESULTS/error.dump" || fail "superblock does not keep its last durable count $good"
dmsetup remove lg

echo "== log device on dm-flakey: its down interval fails writes"
# Up for an hour, then reloaded as down (up 0) for an hour with
# error_writes: log writes fail, reads of the log still work.
dmsetup create fl --table "0 $logsz flakey $DISK_log 0 3600 1"
dmsetup create k --table "0 $size bb-log-writes $DISK_data /dev/mapper/fl"
dm=$(dmsetup info -c --noheadings --separator : -o major,minor k)
xfs_io -d -c "pwrite -q -S 0x71 0 64k" -c fsync /dev/mapper/k
dmsetup message k 0 mark before-flaky
good=$(status k | cut -d' ' -f1)
before=$(dmesg | grep -c "$dm \[STATE:111\] log( logging -> error ) \[[^]]*\] log write failed" || true)
dmsetup load fl --table "0 $logsz flakey $DISK_log 0 0 3600 1 error_writes"
dmsetup resume fl
xfs_io -d -c "pwrite -q -S 0x72 64k 64k" -c fsync /dev/mapper/k
if dmsetup message k 0 mark during-flaky 2>/dev/null; then fail "mark accepted by a failing log"; fi
xfs_io -d -c "pwrite -q -S 0x73 128k 64k" -c fsync /dev/mapper/k
xfs_io -d -r -c "pread -q -v 64k 512" /dev/mapper/k | grep -q '72 72 72' || fail "data stopped"
xfs_io -d -r -c "pread -q -v 128k 512" /dev/mapper/k | grep -q '73 73 73' || fail "data stopped"
# shellcheck disable=SC2046 # status fields, split on purpose
set -- $(status k)
echo "status: $*"
{ [ "$3" = error ] && [ "$5" = 0 ] && [ "$6" = log_error ]; } || fail "status: $*"
[ "$(dmesg | grep -c "$dm \[STATE:111\] log( logging -> error ) \[[^]]*\] log write failed")" = $((before + 1)) ] || fail "expected one 'log write failed' line"
dmesg | grep -q "$dm \[STATE:111\] log( logging -> error ) \[[^]]*\] log write failed (error -5); logging stopped at $good durable entries" ||
	fail "kernel line does not name -5 and $good durable entries"
dmsetup remove k
dump /dev/mapper/fl >"$RESULTS/flakey.dump"
tail -2 "$RESULTS/flakey.dump"
grep -q "^end entries=$good " "$RESULTS/flakey.dump" || fail "superblock does not keep its last durable count $good"
grep -q 'mark="before-flaky"' "$RESULTS/flakey.dump" || fail "mark before the fault missing"
dmsetup remove fl

echo "== data device errors are passed up and not logged"
half=$((size / 2))
dmsetup create bad --table "0 $half linear $DISK_data 0
$half $half error"
dmsetup create d --table "0 $size bb-log-writes /dev/mapper/bad $DISK_log"
xfs_io -d -c "pwrite -q -S 0x61 0 64k" /dev/mapper/d
if xfs_io -d -c "pwrite -q -S 0x62 $((half * 512)) 64k" /dev/mapper/d 2>/dev/null; then
	fail "write to the failing half succeeded"
fi
xfs_io -d -c fsync /dev/mapper/d
dmsetup remove d
dmsetup remove bad
dump "$DISK_log" >"$RESULTS/data-error.dump"
grep -q 'sector=0 nr_sectors=[0-9]* flags=0x0(NONE)' "$RESULTS/data-error.dump" || fail "good write not logged"
awk -v half="$half" '{ for (i = 1; i <= NF; i++) if ($i ~ /^sector=/) { split($i, f, "="); if (f[2] + 0 >= half) bad = 1 } }
	END { exit bad }' "$RESULTS/data-error.dump" || fail "failed write logged"
echo "faults ok"
