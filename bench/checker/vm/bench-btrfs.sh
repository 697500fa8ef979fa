#!/bin/sh
# Bench: record 50 fsync'ed file writes on btrfs (in-tree log-writes) for bench/checker/run.
# disks: data:512M log:1G
# modules: dm-log-writes
# timeout: 600
set -e
size=$(blockdev --getsz "$DISK_data")
dmsetup create rec --table "0 $size log-writes $DISK_data $DISK_log"
mkfs.btrfs -q -f /dev/mapper/rec >/dev/null
dmsetup message rec 0 mark mkfs
mount /dev/mapper/rec /mnt
mkdir /mnt/d
i=1
while [ $i -le 50 ]; do
	dd if=/dev/urandom of=/mnt/d/f$i bs=4k count=$((i % 4 + 1)) conv=fsync 2>/dev/null
	if [ $((i % 10)) = 0 ]; then
		mv /mnt/d/f$((i - 1)) /mnt/d/renamed-$i
		rm /mnt/d/f$((i - 2))
		sync
	fi
	i=$((i + 1))
done
dmsetup message rec 0 mark done
umount /mnt
dmsetup remove rec
