#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared vectors kernel-group-512-d0/-d1: two bb-log-writes devices of one
# group record exactly them (group tags included, the random group id
# aside). This ties the kernel's group tag (dm-targets/bb-log-format.h) to
# the C++ format owner's: the host check decodes the kernel's logs with
# replay-log, which validates every tag's magic and CRC32C. Then device 0's
# share of the workload runs again through the in-tree log-writes target
# (log on li): its log must equal our group log byte for byte but for the
# group tags (the host check compares).
# disks: d0:16M l0:16M d1:16M l1:16M li:16M
# modules: dm-log-writes
# ours: dm-bb-log-writes
# timeout: 120
set -e
fail() { echo "FAIL: $*"; exit 1; }
for i in 0 1; do
	eval data=\$DISK_d$i log=\$DISK_l$i
	dmsetup create "v$i" --table "0 $(blockdev --getsz "$data") bb-log-writes $data $log 1 group=vec:$i"
done
# The workload of tests/vectors/README.md ("kernel-group-512").
xfs_io -d -c "pwrite -q -S 0xaa 0 4096" -c fsync /dev/mapper/v0
dmsetup message v0 0 mark one
xfs_io -d -c "pwrite -q -V 1 -D -b 8k -S 0xbb 1m 8k" /dev/mapper/v1
xfs_io -d -c "pwrite -q -S 0xcc 8k 4k" -c fsync /dev/mapper/v0
dmsetup message v1 0 mark two
# Marks leave room for the tag: 447 bytes fit a 512-byte sector, 448 do not.
long=$(head -c 448 /dev/zero | tr '\0' m)
if dmsetup message v1 0 mark "$long" 2>/dev/null; then fail "a 448-byte mark was accepted"; fi
dmesg | grep -q 'mark of 448 bytes refused: at most 447 fit' || fail "no refusal line"
# A second table with a taken index is refused, and so is a reload.
size=$(blockdev --getsz "$DISK_d0")
if dmsetup create v9 --table "0 $size bb-log-writes $DISK_d0 $DISK_l0 1 group=vec:1" 2>/dev/null; then
	fail "index 1 taken twice"
fi
dmesg | grep -q 'That device index is already in the group' || fail "no EBUSY reason"
dmsetup remove v0
dmsetup remove v1
dmesg | grep -q 'left group vec (id [0-9a-f]*) as device 1: 0 devices left, last sequence 10' ||
	fail "leave line: $(dmesg | grep 'left group')"
# Device 0's I/O again, through the in-tree target.
dmsetup create it --table "0 $(blockdev --getsz "$DISK_d0") log-writes $DISK_d0 $DISK_li"
xfs_io -d -c "pwrite -q -S 0xaa 0 4096" -c fsync /dev/mapper/it
dmsetup message it 0 mark one
xfs_io -d -c "pwrite -q -S 0xcc 8k 4k" -c fsync /dev/mapper/it
dmsetup remove it
echo recorded
