#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-log-writes beyond the in-tree target: fresh superblock at construction,
# superblock current after every mark, marks with spaces and the length
# limit, WRITE_ZEROES replayed as zeroes, discard emulation, metadata_only,
# status and table lines, and a session "killed" while writing: a copy of
# its log taken while it ran is checked by bblw-features.host.
# disks: data:64M log:64M killb:16M
# modules: dm-mod loop
# ours: dm-bb-log-writes
# timeout: 240
set -e
size=$(blockdev --getsz "$DISK_data")
fail() { echo "FAIL: $*"; exit 1; }
# The entry count the log's superblock holds right now.
super_entries() {
	blockdev --flushbufs "$1"
	replay-log --no-index --log "$1" --num-entries
}
dump() { blockdev --flushbufs "$1"; replay-log --no-index --log "$1" --dump; }
field() { dmsetup status "$1" | cut -d' ' -f$(($2 + 3)); }
table() { echo "0 $size bb-log-writes $DISK_data $1"; }

echo "== fresh superblock at construction"
dmsetup create f --table "$(table "$DISK_log")"
xfs_io -d -c "pwrite -q -S 0x5a 0 64k" -c fsync /dev/mapper/f
dmsetup message f 0 mark one
dmsetup remove f
old=$(super_entries "$DISK_log")
[ "$old" -ge 4 ] || fail "first session left $old entries"
dmsetup create f --table "$(table "$DISK_log")"
n=$(super_entries "$DISK_log")
echo "previous session: $old entries; new session at creation: $n"
[ "$n" = 0 ] || fail "new session's superblock says $n entries"

echo "== superblock counts every entry once a mark returns"
xfs_io -d -c "pwrite -q -S 0x11 0 16k" /dev/mapper/f
# A crash now would leave a log of 0 entries, not the last session's.
[ "$(super_entries "$DISK_log")" = 0 ] || fail "unflushed writes counted"
xfs_io -d -c fsync /dev/mapper/f
dmsetup message f 0 mark two
n=$(super_entries "$DISK_log")
[ "$n" = "$(field f 1)" ] || fail "superblock $n, status $(field f 1)"
xfs_io -d -c "pwrite -q -V 1 -D -S 0x12 64k 8k" /dev/mapper/f
dmsetup message f 0 mark three
n=$(super_entries "$DISK_log")
[ "$n" = "$(field f 1)" ] || fail "superblock $n, status $(field f 1)"

echo "== marks: words joined by one space; too long is refused, not cut"
dmsetup message f 0 mark hello   big  world
a479=$(printf '%479s' '' | tr ' ' a)
dmsetup message f 0 mark "$a479"
if dmsetup message f 0 mark "${a479}b" 2>/dev/null; then fail "480-byte mark accepted"; fi
if dmsetup message f 0 mark "${a479%a}" b 2>/dev/null; then fail "480-byte 2-word mark accepted"; fi
if dmsetup message f 0 bogus x 2>/dev/null; then fail "unknown message accepted"; fi
if dmsetup message f 0 mark 2>/dev/null; then fail "empty mark accepted"; fi

echo "== WRITE_ZEROES"
dm=$(dmsetup info -c --noheadings -o blkdevname f)
echo "write_zeroes_max_bytes of $dm: $(cat /sys/block/"$dm"/queue/write_zeroes_max_bytes)"
xfs_io -d -c "pwrite -q -S 0xab 1m 1m" -c fsync /dev/mapper/f
# fallocate(ZERO_RANGE) on a block device: blkdev_issue_zeroout().
xfs_io -d -c "fzero 1114112 262144" /dev/mapper/f
xfs_io -d -c fsync /dev/mapper/f
dmsetup message f 0 mark zeroed
dd if=/dev/mapper/f bs=64k skip=16 count=16 2>/dev/null | sha256sum >/tmp/want
dmsetup status f
dmsetup remove f
dump "$DISK_log" >"$RESULTS/features.dump"
grep -q 'mark="hello big world"$' "$RESULTS/features.dump" || fail "mark with spaces"
grep -q "mark=\"$a479\"\$" "$RESULTS/features.dump" || fail "479-byte mark"
grep -q 'sector=2176 nr_sectors=512 flags=0x0(NONE) data_bytes=262144' "$RESULTS/features.dump" ||
	fail "write-zeroes range not logged as a data entry"
tail -2 "$RESULTS/features.dump"
truncate -s 64M /tmp/replay
replay-log --no-index --log "$DISK_log" --replay /tmp/replay --end-mark zeroed
dd if=/tmp/replay bs=64k skip=16 count=16 2>/dev/null | sha256sum >/tmp/got
cmp /tmp/want /tmp/got || fail "replay of the zeroed range differs"
rm /tmp/replay

echo "== discard emulation on a data device without discard"
# A loop device over a ramfs file: ramfs has no fallocate, so no discard.
mkdir -p /ramfs
mount -t ramfs ramfs /ramfs
truncate -s 8M /ramfs/nodiscard
losetup /dev/loop0 /ramfs/nodiscard
echo "loop0 discard_max_bytes: $(cat /sys/block/loop0/queue/discard_max_bytes)"
dmsetup create e --table "0 16384 bb-log-writes /dev/loop0 $DISK_log"
xfs_io -d -c "pwrite -q -S 0x5a 3m 64k" -c fsync /dev/mapper/e
blkdiscard -o 3145728 -l 65536 /dev/mapper/e
xfs_io -d -c fsync /dev/mapper/e
dmsetup remove e
dump "$DISK_log" | grep -q 'sector=6144 nr_sectors=128 flags=0x4(DISCARD)' || fail "emulated discard not logged"
xfs_io -r -c "pread -q -v 3m 512" /ramfs/nodiscard | grep -q '5a 5a 5a' || fail "emulated discard reached the disk"
losetup -d /dev/loop0
umount /ramfs

echo "== metadata_only"
dmsetup create m --table "$(table "$DISK_log") 1 metadata_only"
dmsetup table m | grep -q ' 1 metadata_only$' || fail "table line: $(dmsetup table m)"
mkfs.ext4 -q -F /dev/mapper/m
mount /dev/mapper/m /mnt
dd if=/dev/urandom of=/mnt/file bs=64k count=32 2>/dev/null
sync
umount /mnt
dmsetup message m 0 mark "done"
# shellcheck disable=SC2046 # status fields, split on purpose
set -- $(dmsetup status m)
shift 3
echo "status: $*"
[ $# = 7 ] || fail "status has $# fields"
dmsetup remove m
dump "$DISK_log" >"$RESULTS/metadata.dump"
grep -c 'flags=0x10(METADATA)' "$RESULTS/metadata.dump" >/dev/null || fail "no METADATA entries"
if grep 'flags=0x0(NONE)\|flags=0x4(DISCARD)' "$RESULTS/metadata.dump"; then fail "data entries logged"; fi
grep -c '^entry' "$RESULTS/metadata.dump"

echo "== killed session: a copy of the log taken while O_SYNC writes go on"
# The copy is what a crash would leave: sector 0 is read first, and the
# entries its count covers never change afterwards (the log only grows).
dmsetup create kb --table "$(table "$DISK_killb")"
xfs_io -d -s -c "pwrite -q -S 0x5a -b 4k 0 60m" /dev/mapper/kb >/dev/null 2>&1 &
writer=$!
sleep 2
blockdev --flushbufs "$DISK_killb"
dd if="$DISK_killb" of="$RESULTS/killb.img" bs=1M 2>/dev/null
echo "kb when copied: $(dmsetup status kb)"
kill $writer
wait $writer || true
dmsetup remove kb
