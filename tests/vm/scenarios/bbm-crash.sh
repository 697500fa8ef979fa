#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash, phase 1: ext4 on bb-mirror with a disk log; leg 1 failed, fsync'ed and unsynced writes running, hard power-off (bbm-crash-2 boots on the same disks).
# disks: c0:32M c1:32M clog:1M man:1M
# modules: dm-mod dm-log dm-region-hash
# ours: dm-bb-mirror
# then: bbm-crash-2
# timeout: 480
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
. "$BB_LIB/bbm-crash.sh"
dmsetup create m --table "$TABLE"
bbm_wait_sync m 120
echo "initial resync done: $(dmsetup status m)"
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/m
mkdir -p /mnt/m
mount -o noatime /dev/mapper/m /mnt/m
content 0 1 >/mnt/m/before
sync
crash_with_leg_failed 1 1
