#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Consistency: ext4 then xfs workloads on bb-log-writes, a mark at each
# quiesced point (after mkfs, after umount) with the device's checksum taken
# there. Replaying the log up to each mark (replay-log, one mark after the
# other onto a zeroed file) must give that checksum.
# disks: data:128M log:256M
# modules: dm-mod
# ours: dm-bb-log-writes
# timeout: 300
set -e
# shellcheck source=lib/sum.sh
. "$BB_LIB/sum.sh"
size=$(blockdev --getsz "$DISK_data")
dev=/dev/mapper/c
marks=
checkpoint() {
	bytes_sum "$dev" >"/tmp/want.$1"
	dmsetup message c 0 mark "$1"
	marks="$marks $1"
}
dmsetup create c --table "0 $size bb-log-writes $DISK_data $DISK_log"

mkfs.ext4 -q -F "$dev"
checkpoint ext4-mkfs
mount "$dev" /mnt
mkdir /mnt/d
for i in 1 2 3 4 5 6; do dd if=/dev/urandom of=/mnt/d/f$i bs=16k count=$((i * 4)) 2>/dev/null; done
umount /mnt
checkpoint ext4-files
mount "$dev" /mnt
rm /mnt/d/f2 /mnt/d/f4
dd if=/dev/urandom of=/mnt/d/f1 bs=4k count=7 conv=notrunc 2>/dev/null
xfs_io -f -c "pwrite -q -S 0x7e 0 300k" -c fsync /mnt/big
umount /mnt
checkpoint ext4-rewrite

# mkfs.xfs refuses filesystems under 300 MB unless run by fstests.
TEST_DIR=/mnt TEST_DEV="$dev" QA_CHECK_FS=1 mkfs.xfs -q -f "$dev"
checkpoint xfs-mkfs
mount "$dev" /mnt
for i in 1 2 3 4; do dd if=/dev/urandom of=/mnt/x$i bs=64k count=$i 2>/dev/null; done
xfs_io -f -c "pwrite -q -S 0x11 0 1m" -c fsync -c "fpunch 64k 128k" /mnt/x1
umount /mnt
checkpoint xfs-files
dmsetup status c
dmsetup remove c

truncate -s $((size * 512)) /tmp/replay
prev=
for m in $marks; do
	if [ -z "$prev" ]; then
		replay-log --no-index --log "$DISK_log" --replay /tmp/replay --end-mark "$m"
	else
		replay-log --no-index --log "$DISK_log" --replay /tmp/replay --start-mark "$prev" --end-mark "$m"
	fi
	got=$(bytes_sum /tmp/replay)
	[ "$got" = "$(cat "/tmp/want.$m")" ] || { echo "FAIL: replay to $m differs"; exit 1; }
	echo "replay to $m: ok"
	prev=$m
done
