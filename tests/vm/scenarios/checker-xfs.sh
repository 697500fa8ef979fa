#!/bin/sh
# Checker: record a small xfs workload with the in-tree log-writes target; the host checks every FUA both ways.
# disks: data:512M log:512M
# modules: dm-log-writes
# timeout: 240
# The host side (checker-xfs.host) runs bb-check and the xfstests-style loop
# (replay from entry 0 per FUA, mount, umount, fsck) on log.img and requires
# the same verdict at every point, also on a copy with one metadata write
# corrupted.
set -e
size=$(blockdev --getsz "$DISK_data")
dmsetup create rec --table "0 $size log-writes $DISK_data $DISK_log"
mkfs.xfs -q -f /dev/mapper/rec
dmsetup message rec 0 mark mkfs
mount /dev/mapper/rec /mnt
mkdir /mnt/d
i=1
while [ $i -le 8 ]; do
	dd if=/dev/urandom of=/mnt/d/f$i bs=4k count=$((i % 4 + 1)) conv=fsync 2>/dev/null
	i=$((i + 1))
done
mv /mnt/d/f1 /mnt/d/g1
rm /mnt/d/f2
sync
dmsetup message rec 0 mark work
umount /mnt
dmsetup status rec
dmsetup remove rec
echo xfs >"$RESULTS/fs"
