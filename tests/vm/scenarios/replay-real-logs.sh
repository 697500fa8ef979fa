#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# replay-log on real logs: ext4, xfs and btrfs recorded by the in-tree log-writes, checksum at each mark.
# disks: data_ext4:64M log_ext4:256M data_xfs:96M log_xfs:256M data_btrfs:128M log_btrfs:256M
# modules: dm-log-writes
# kernels: 6.1
# timeout: 240
#
# Marks are taken where the data device is idle: after umount, and after an
# explicit flush of the dm device (dd conv=fsync issues one), so every write
# the filesystem made is logged before the mark. The checksum of the data
# device at each mark goes to $RESULTS/<fs>.marks; the host replays the log
# to each mark and compares (replay-real-logs.host). Devices are kept small
# (hashing is slow under TCG); mkfs.xfs allows a filesystem under 300 MB
# when it sees the fstests variables.
set -e
# shellcheck source=lib/sum.sh
. "$BB_LIB/sum.sh"

# point FS NAME — quiesce, checksum the data device (bytes_sum drops its
# cache: the writes went through the target, around it), then mark NAME.
point() {
	dd if=/dev/null of=/dev/mapper/rec conv=fsync,notrunc 2>/dev/null
	sum=$(bytes_sum "$data")
	dmsetup message rec 0 mark "$2"
	echo "$2 $sum" >>"$RESULTS/$1.marks"
}

workload() { # workload FS — three rounds of changes, a mark after each
	fs=$1
	mkdir -p "/mnt/$fs"
	mount /dev/mapper/rec "/mnt/$fs"
	for i in 1 2 3 4 5 6 7 8; do
		dd if=/dev/urandom of="/mnt/$fs/f$i" bs=4k count=$((i * 8)) 2>/dev/null
	done
	mkdir "/mnt/$fs/dir"
	dd if=/dev/urandom of="/mnt/$fs/dir/big" bs=1M count=4 conv=fsync 2>/dev/null
	umount "/mnt/$fs"
	point "$fs" round1

	mount /dev/mapper/rec "/mnt/$fs"
	rm "/mnt/$fs/f2" "/mnt/$fs/f4"
	dd if=/dev/urandom of="/mnt/$fs/f1" bs=4k count=3 seek=5 conv=notrunc,fsync 2>/dev/null
	truncate -s 4096 "/mnt/$fs/f8"
	mv "/mnt/$fs/f3" "/mnt/$fs/dir/f3"
	umount "/mnt/$fs"
	point "$fs" round2

	mount /dev/mapper/rec "/mnt/$fs"
	rm -r "/mnt/$fs/dir"
	for i in 1 2 3; do
		dd if=/dev/urandom of="/mnt/$fs/new$i" bs=64k count=4 conv=fsync 2>/dev/null
	done
	umount "/mnt/$fs"
	point "$fs" round3
}

for fs in ext4 xfs btrfs; do
	eval data=\$DISK_data_$fs log=\$DISK_log_$fs
	dmsetup create rec --table "0 $(blockdev --getsz "$data") log-writes $data $log"
	case $fs in
	ext4) mkfs.ext4 -q /dev/mapper/rec ;;
	xfs) TEST_DIR=/mnt TEST_DEV=$data QA_CHECK_FS=1 mkfs.xfs -q /dev/mapper/rec ;;
	btrfs) mkfs.btrfs -q /dev/mapper/rec >/dev/null ;;
	esac
	point "$fs" mkfs
	workload "$fs"
	echo "$fs: $(dmsetup status rec)"
	dmsetup remove rec
done
