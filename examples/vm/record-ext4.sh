#!/bin/sh
# Record an ext4 workload through a log-writes target, with marks.
# disks: data:256M log:512M
# modules: dm-log-writes
# timeout: 180
set -e
target=${BB_TARGET:-log-writes}
size=$(blockdev --getsz "$DISK_data")
step() { echo; echo "guest> $*"; }

step "dmsetup create rec: $target over $DISK_data, logging to $DISK_log"
dmsetup create rec --table "0 $size $target $DISK_data $DISK_log"
step "mkfs.ext4, then mark 'mkfs'"
mkfs.ext4 -q /dev/mapper/rec
dmsetup message rec 0 mark mkfs
step "mount, write three files with fsync between them, mark each"
mount /dev/mapper/rec /mnt
for i in 1 2 3; do
	dd if=/dev/urandom of=/mnt/file$i bs=64k count=$((i * 4)) conv=fsync 2>/dev/null
	dmsetup message rec 0 mark file$i
done
step "umount, then the target's status: <entries> <highest log sector>"
umount /mnt
dmsetup status rec
dmsetup remove rec
step "checksum of the data device, for the host to compare with a replay"
sha256sum "$DISK_data" | cut -d' ' -f1 | tee "$RESULTS/data.sha256"
