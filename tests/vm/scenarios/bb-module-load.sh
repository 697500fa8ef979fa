#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Our dm-bb-log-writes module loads, registers its target, maps I/O and unloads.
# disks: data:64M log:64M
# modules: dm-mod
# ours: dm-bb-log-writes
# timeout: 60
set -e
# Loaded through "# ours:" (so the ours-only tiers run this too): unload it first.
if grep -q '^dm_bb_log_writes ' /proc/modules; then rmmod dm_bb_log_writes; fi
if dmsetup targets | grep -q '^bb-log-writes '; then echo "bb-log-writes registered before insmod"; exit 1; fi
insmod "$BB_MODDIR/dm-bb-log-writes.ko"
dmsetup targets | grep -q '^bb-log-writes '
size=$(blockdev --getsz "$DISK_data")
dmsetup create bbload --table "0 $size bb-log-writes $DISK_data $DISK_log"
dd if=/dev/zero of=/dev/mapper/bbload bs=4k count=16 oflag=direct 2>/dev/null
dmsetup remove bbload
rmmod dm_bb_log_writes
! dmsetup targets | grep -q '^bb-log-writes '
