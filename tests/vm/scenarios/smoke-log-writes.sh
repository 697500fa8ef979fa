#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Smoke: the in-tree log-writes target records an ext4 mkfs, a mark and a write.
# disks: data:256M log:256M
# modules: dm-log-writes
# timeout: 120
set -e
size=$(blockdev --getsz "$DISK_data")
dmsetup create smoke --table "0 $size log-writes $DISK_data $DISK_log"
mkfs.ext4 -q /dev/mapper/smoke
dmsetup message smoke 0 mark mkfs
mount /dev/mapper/smoke /mnt
dd if=/dev/urandom of=/mnt/file bs=64k count=16 2>/dev/null
sync
umount /mnt
dmsetup status smoke
dmsetup remove smoke
e2fsck -fn "$DISK_data"
