#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash, phase 3: after the power-off with leg 0 (the default source) failed, the same table resyncs from leg 1 to leg 0, never the reverse; every fsync'ed file of both phases intact; fsck clean.
# disks: c0:32M c1:32M clog:1M man:1M
# modules: dm-mod dm-log dm-region-hash
# ours: dm-bb-mirror
# timeout: 480
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
. "$BB_LIB/bbm-crash.sh"
recover 0 1
check_files 2
check_files 1 1
umount /mnt/m
e2fsck -fn /dev/mapper/m || fail "fsck after the second power-off"
dmsetup remove m
[ "$(sum "$DISK_c0")" = "$(sum "$DISK_c1")" ] || fail "legs differ at the end"
echo "legs identical"
