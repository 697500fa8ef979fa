#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash, phase 2: after the power-off with leg 1 failed, the same table resyncs only the regions out of sync from leg 0 to leg 1; fsync'ed files intact; then leg 0 failed, writes, hard power-off (bbm-crash-3).
# disks: c0:32M c1:32M clog:1M man:1M
# modules: dm-mod dm-log dm-region-hash
# ours: dm-bb-mirror
# then: bbm-crash-3
# timeout: 480
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
. "$BB_LIB/bbm-crash.sh"
recover 1 0
check_files 1
dd if="$DISK_man" of="$DISK_man" bs=512 count=1 seek=1 conv=notrunc oflag=direct 2>/dev/null
[ "$(content 0 1 | md5sum)" = "$(md5sum </mnt/m/before)" ] || fail "/mnt/m/before reads back wrong"
umount /mnt/m
e2fsck -fn /dev/mapper/m || fail "fsck after the first power-off"
mount -o noatime /dev/mapper/m /mnt/m
crash_with_leg_failed 0 2
