#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Passes: boots after power-off on its disk, as power-off left it, in a new boot.
# disks: scratch:16M
# timeout: 30
set -e
old=$(dd if="$DISK_scratch" bs=37 count=1 2>/dev/null | head -n1)
echo "previous boot: $old, this boot: $(cat /proc/sys/kernel/random/boot_id)"
[ ${#old} = 36 ]
[ "$old" != "$(cat /proc/sys/kernel/random/boot_id)" ]
dd if="$DISK_scratch" of=/tmp/data bs=1 skip=37 count=262144 2>/dev/null
sha256sum /tmp/data | cut -d' ' -f1 >"$RESULTS/sha"
