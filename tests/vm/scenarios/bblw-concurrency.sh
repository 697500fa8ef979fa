#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Concurrency: fio with 4 jobs on bb-log-writes, buffered and direct, with
# fsync and fdatasync, each job on its own quarter of the device. After
# teardown, replaying the whole log onto a zeroed file gives the device.
# disks: data:64M log:256M
# modules: dm-mod
# ours: dm-bb-log-writes
# timeout: 300
set -e
# shellcheck source=lib/sum.sh
. "$BB_LIB/sum.sh"
size=$(blockdev --getsz "$DISK_data")
dmsetup create cc --table "0 $size bb-log-writes $DISK_data $DISK_log"
cat >/tmp/mix.fio <<FIO
[global]
filename=/dev/mapper/cc
rw=randwrite
bsrange=4k-64k
size=16m
io_size=12m
randseed=42
end_fsync=1
# Own regions: direct and buffered I/O on one page range collide.
[direct-fsync]
offset=0
direct=1
ioengine=psync
fsync=8
[buffered-fdatasync]
offset=16m
direct=0
fdatasync=4
[direct-fdatasync]
offset=32m
direct=1
ioengine=libaio
iodepth=4
fdatasync=16
[buffered-fsync]
offset=48m
direct=0
fsync=32
FIO
fio --output=/tmp/fio.out /tmp/mix.fio
grep -E 'WRITE:|err=' /tmp/fio.out | head -8
dmsetup message cc 0 mark fio-done
dmsetup status cc
dmsetup remove cc
want=$(bytes_sum "$DISK_data")
truncate -s $((size * 512)) /tmp/replay
replay-log --no-index --log "$DISK_log" --replay /tmp/replay --end-mark dm-log-writes-end
got=$(bytes_sum /tmp/replay)
replay-log --no-index --log "$DISK_log" --stats | head -20
[ "$got" = "$want" ] || { echo "FAIL: replay to the end differs from the data device"; exit 1; }
echo "replay to the end equals the data device"
