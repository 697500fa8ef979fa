#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared vector kernel-workload-512: the in-tree log-writes and bb-log-writes both record exactly it.
# disks: data_intree:16M log_intree:16M data_bb:16M log_bb:16M
# modules: dm-log-writes
# ours: dm-bb-log-writes
# timeout: 120
#
# The workload is the one tests/vectors/README.md gives for the vector; the
# host check compares each log's replay-log --dump with the committed
# kernel-workload-512.dump.
set -e

for which in intree bb; do
	eval data=\$DISK_data_$which log=\$DISK_log_$which
	target=log-writes
	[ $which = bb ] && target=bb-log-writes
	dmsetup create vec --table "0 $(blockdev --getsz "$data") $target $data $log"
	xfs_io -d -c "pwrite -q -S 0xaa 0 4096" -c fsync /dev/mapper/vec
	dmsetup message vec 0 mark one
	xfs_io -d -c "pwrite -q -V 1 -D -b 8k -S 0xbb 1m 8k" /dev/mapper/vec
	blkdiscard -o $((2 << 20)) -l $((64 << 10)) /dev/mapper/vec
	xfs_io -c fsync /dev/mapper/vec
	dmsetup message vec 0 mark two
	dmsetup remove vec
	echo "$which: recorded"
done
