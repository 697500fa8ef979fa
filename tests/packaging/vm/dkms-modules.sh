#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The modules DKMS built (tests/packaging/run dkms) load, map I/O and unload: a bb-log-writes log replayed to its mark, a bb-mirror's legs equal.
# disks: data:64M log:64M a:32M b:32M replay:64M
# modules: dm-mod dm-log dm-region-hash
# timeout: 180
set -e
# tests/packaging/run passes them as "programs" (the only files the runner
# takes from beside the tree's build): /usr/local/bin/dkms-<kver>-<module>.ko
fail() { echo "FAIL: $*" >&2; exit 1; }
dir=/usr/local/bin
for m in dm-bb-log-writes dm-bb-mirror; do
	[ -f "$dir/dkms-$(uname -r)-$m.ko" ] || fail "no DKMS-built $m.ko for $(uname -r)"
done
grep -q -e '^dm_bb_log_writes ' -e '^dm_bb_mirror ' /proc/modules && fail "a tree-built module is loaded"

insmod "$dir/dkms-$(uname -r)-dm-bb-log-writes.ko"
dmsetup targets | grep -q '^bb-log-writes '
size=$(blockdev --getsz "$DISK_data")
dmsetup create dk --table "0 $size bb-log-writes $DISK_data $DISK_log"
dd if=/dev/urandom of=/tmp/blob bs=64k count=8 2>/dev/null
dd if=/tmp/blob of=/dev/mapper/dk bs=64k oflag=direct conv=fsync 2>/dev/null
dmsetup message dk 0 mark written
dmsetup remove dk
rmmod dm_bb_log_writes
replay-log --log "$DISK_log" --replay "$DISK_replay" --end-mark written
cmp -n 524288 /tmp/blob "$DISK_replay" || fail "replay differs from what was written"
echo "bb-log-writes (DKMS): recorded and replayed 512 KiB"

insmod "$dir/dkms-$(uname -r)-dm-bb-mirror.ko"
sz=$(blockdev --getsz "$DISK_a")
dmsetup create dm --table "0 $sz bb-mirror core 1 1024 2 $DISK_a 0 $DISK_b 0"
dd if=/tmp/blob of=/dev/mapper/dm bs=64k oflag=direct conv=fsync 2>/dev/null
i=0
# status: 0 <len> bb-mirror 2 <leg> <leg> <in sync>/<regions> ...
until dmsetup status dm | awk '{ split($7, a, "/"); exit !(a[1] == a[2]) }'; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "mirror never in sync: $(dmsetup status dm)"; sleep 0.2
done
dmsetup remove dm
rmmod dm_bb_mirror
cmp "$DISK_a" "$DISK_b" || fail "mirror legs differ"
cmp -n 524288 /tmp/blob "$DISK_a" || fail "mirror leg lacks the data"
echo "bb-mirror (DKMS): legs equal"
