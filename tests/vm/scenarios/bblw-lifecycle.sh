#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Lifecycle: 100 create/mark/remove cycles; suspend/resume, remove and module
# unload while a writer keeps hitting the device.
# disks: data:32M log:32M
# modules: dm-mod
# ours: dm-bb-log-writes
# timeout: 300
set -e
fail() { echo "FAIL: $*"; exit 1; }
size=$(blockdev --getsz "$DISK_data")
table="0 $size bb-log-writes $DISK_data $DISK_log"
i=0
while [ $i -lt 100 ]; do
	i=$((i + 1))
	dmsetup create l --table "$table"
	dmsetup message l 0 mark "cycle $i"
	dmsetup remove l
done
blockdev --flushbufs "$DISK_log"
replay-log --no-index --log "$DISK_log" --dump | tee /tmp/dump
grep -q 'entry=0 .*mark="cycle 100"$' /tmp/dump || fail "last cycle's mark"
grep -q '^end entries=2 ' /tmp/dump || fail "last cycle's log"

echo "== under I/O"
dmsetup create l --table "$table"
(while xfs_io -d -c "pwrite -q -b 16k 0 256k" -c fsync /dev/mapper/l 2>/dev/null; do :; done) &
writer=$!
sleep 1
for n in 1 2 3; do
	dmsetup suspend l
	dmsetup resume l
	dmsetup message l 0 mark "resumed $n"
done
if rmmod dm_bb_log_writes 2>/dev/null; then fail "module unloaded while in use"; fi
dmsetup status l
dmsetup remove --retry l
wait $writer || true
rmmod dm_bb_log_writes
insmod "$BB_MODDIR/dm-bb-log-writes.ko"
dmsetup create l --table "$table"
(while xfs_io -d -c "pwrite -q -b 16k 0 256k" /dev/mapper/l 2>/dev/null; do :; done) &
writer=$!
sleep 1
dmsetup remove --retry l
wait $writer || true
rmmod dm_bb_log_writes
echo "lifecycle ok"
