#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A recording group (issue #18): btrfs raid1 (data and metadata) on two
# devices, each under bb-log-writes in one group. Quiesced points (after
# mkfs, frozen, unmounted) get a mark and the sha256 of both devices;
# group-btrfs-raid1.host replays the group to each mark and requires both
# checksums, then checks every crash point of the group (each FUA and FLUSH
# after the mkfs mark) with bb-crashcheck --group and with the loop that
# replays both devices from entry 0 to it: the same verdict, pass, at each.
# disks: d0:320M d1:320M l0:384M l1:384M
# ours: dm-bb-log-writes
# timeout: 420
set -e
. "$BB_LIB/group.sh"
group_create g0 "$DISK_d0" "$DISK_l0" 0
group_create g1 "$DISK_d1" "$DISK_l1" 1
# -K and nodiscard: no discards (a host replay zeroes a discarded range,
# QEMU may leave it as it was).
mkfs.btrfs -q -f -K -d raid1 -m raid1 /dev/mapper/g0 /dev/mapper/g1
group_point mkfs g0 g0 g1
btrfs device scan /dev/mapper/g0 /dev/mapper/g1 >/dev/null
mount -o nodiscard,device=/dev/mapper/g1 /dev/mapper/g0 /mnt
group_files /mnt/a 12
sync
group_freeze -f /mnt
group_point frozen g1 g0 g1
group_freeze -u /mnt
group_files /mnt/b 8
umount /mnt
group_point umounted g0 g0 g1
mount -o nodiscard,device=/dev/mapper/g1 /dev/mapper/g0 /mnt
group_files /mnt/c 6
umount /mnt
group_point last g1 g0 g1
group_teardown g0 g1
echo btrfs >"$RESULTS/fs"
