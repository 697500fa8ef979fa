#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A recording group (issue #18): XFS with an external log device, the data
# device (index 0) and the log device (index 1) each under bb-log-writes in
# one group. Quiesced points (after mkfs, frozen, unmounted) get a mark and
# the sha256 of both devices; group-xfs-extlog.host replays the group to
# each mark and requires both checksums, then checks every crash point of
# the group (each FUA and FLUSH after the mkfs mark) with bb-crashcheck
# --group and with the loop that replays both devices from entry 0 to it:
# the same verdict, pass, at each.
# disks: d0:512M d1:96M l0:512M l1:192M
# ours: dm-bb-log-writes
# timeout: 420
set -e
. "$BB_LIB/group.sh"
fail() { echo "FAIL: $*"; exit 1; }
group_create gdata "$DISK_d0" "$DISK_l0" 0
group_create glog "$DISK_d1" "$DISK_l1" 1
dmsetup table gdata | grep -q ' 1 group=grp:0$' || fail "table: $(dmsetup table gdata)"
dmsetup status glog | grep -q ' group grp 1 [0-9a-f]\{16\} [0-9]*$' || fail "status: $(dmsetup status glog)"

mkfs.xfs -q -f -K -l logdev=/dev/mapper/glog,size=64m /dev/mapper/gdata
group_point mkfs gdata gdata glog

mount -o logdev=/dev/mapper/glog /dev/mapper/gdata /mnt
group_files /mnt/a 12
sync
group_freeze -f /mnt
group_point frozen gdata gdata glog
group_freeze -u /mnt
group_files /mnt/b 8
umount /mnt
# The mark of this point goes to the log device: marks are found on any device.
group_point umounted glog gdata glog

mount -o logdev=/dev/mapper/glog /dev/mapper/gdata /mnt
group_files /mnt/c 6
umount /mnt
group_point last gdata gdata glog
group_teardown gdata glog
dmesg | grep -q 'joined group grp (id [0-9a-f]*) as device 1: 2 devices' || fail "no join line"
dmesg | grep -q 'left group grp (id [0-9a-f]*) as device 1: 0 devices left, last sequence' || fail "no leave line"
echo xfs >"$RESULTS/fs"
