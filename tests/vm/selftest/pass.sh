#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Passes: discards on a bench disk read back as zeroes; a result file reaches the host.
# disks: scratch:16M
# timeout: 30
set -e
echo hello >"$RESULTS/hello"
dd if=/dev/urandom of="$DISK_scratch" bs=64k count=4 oflag=direct 2>/dev/null
if cmp -s -n 262144 "$DISK_scratch" /dev/zero; then exit 1; fi
blkdiscard -o 0 -l 262144 "$DISK_scratch"
cmp -n 262144 "$DISK_scratch" /dev/zero
# /tmp is private: leave something for tmp-private.sh, which must not see it.
echo stale >/tmp/bb-selftest-leftover
