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
# The module's own lines (docs/operation-log.md, "Module load").
last_module_line() { dmesg | grep 'bb-log-writes: - \[' | tail -n1; }
last_module_line | grep -q '\[MOD:20\] loaded (target version 1\.0\.0)$'
size=$(blockdev --getsz "$DISK_data")
dmsetup create bbload --table "0 $size bb-log-writes $DISK_data $DISK_log"
dd if=/dev/zero of=/dev/mapper/bbload bs=4k count=16 oflag=direct 2>/dev/null
dmsetup remove bbload
rmmod dm_bb_log_writes
last_module_line | grep -q '\[MOD:21\] unloaded$'
! dmsetup targets | grep -q '^bb-log-writes '
