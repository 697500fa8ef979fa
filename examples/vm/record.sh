#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Record an ext4, xfs or btrfs workload (FS) through bb-log-writes, with marks.
# disks: data:512M log:1G
# modules: dm-log-writes
# ours: dm-bb-log-writes
# timeout: 240
# Run with tests/vm/run --dir examples/vm --env FS=xfs record. FS picks the
# filesystem (default ext4); BB_TARGET the target: bb-log-writes (default)
# or the in-tree log-writes. Every fsync below ends in a FUA, a crash point
# the host's bb-crashcheck checks.
set -e
FS=${FS:-ext4}
target=${BB_TARGET:-bb-log-writes}
size=$(blockdev --getsz "$DISK_data")
step() { echo; echo "guest> $*"; }

step "dmsetup create rec: $target over $DISK_data, logging to $DISK_log"
dmsetup create rec --table "0 $size $target $DISK_data $DISK_log"
step "mkfs.$FS, then mark 'mkfs' (checking starts there)"
case $FS in
ext4) mkfs.ext4 -q -F /dev/mapper/rec >/dev/null ;;
xfs) mkfs.xfs -q -f /dev/mapper/rec >/dev/null ;;
btrfs) mkfs.btrfs -q -f /dev/mapper/rec >/dev/null ;;
*) echo "FS must be ext4, xfs or btrfs, not '$FS'" >&2; exit 2 ;;
esac
dmsetup message rec 0 mark mkfs
step "mount; write, fsync, rename and delete files; mark each round"
mount /dev/mapper/rec /mnt
mkdir /mnt/dir
for i in 1 2 3; do
	dd if=/dev/urandom of=/mnt/file$i bs=64k count=$((i * 4)) conv=fsync 2>/dev/null
	j=1
	while [ $j -le 8 ]; do
		echo "round $i note $j" >/mnt/dir/note-$i-$j
		dd if=/dev/urandom of=/mnt/dir/note-$i-$j bs=4k count=$j conv=notrunc,fsync 2>/dev/null
		j=$((j + 1))
	done
	mv /mnt/dir/note-$i-1 /mnt/dir/renamed-$i
	rm /mnt/dir/note-$i-2
	sync
	dmsetup message rec 0 mark file$i
done
step "umount, then the target's status: <entries> <highest log sector>"
umount /mnt
dmsetup status rec
dmsetup remove rec
step "checksum of the data device, for the host to compare with a replay"
sha256sum "$DISK_data" | cut -d' ' -f1 | tee "$RESULTS/data.sha256"
