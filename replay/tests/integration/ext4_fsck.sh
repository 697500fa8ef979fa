#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real filesystem: a log holding an ext4 mkfs image's writes, a mark,
# then writes that wreck the superblock. Replaying to the mark onto a loop
# device gives a filesystem e2fsck -fn accepts and the exact image bytes;
# replaying past it does not.
. "$(dirname "$0")/lib.sh"
{ command -v mkfs.ext4 >/dev/null && command -v e2fsck >/dev/null; } || { echo "SKIP: no e2fsprogs"; exit 0; }
need_loop
SIZE=$((32 << 20))
truncate -s $SIZE "$WORK/fs.img"
mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,nodiscard "$WORK/fs.img"
{
  echo "discard 0 $((SIZE / 512))"   # mkfs discards the whole device first
  echo "image $WORK/fs.img 65536"
  echo "flush"
  echo "mark mkfs"
  echo "write 0 8 0xff fua"          # clobbers the primary superblock (at byte 1024)
  echo "mark broken"
} | "$LOG_BUILDER" --out "$WORK/l.log"
# a device full of stale garbage: discard must really zero it
python3 -c "import sys; open(sys.argv[1],'wb').write(b'\xa5' * $SIZE)" "$WORK/dev.img"
attach_loop "$WORK/dev.img" DEV
expect_status 0 "$REPLAY_LOG" --log "$WORK/l.log" --find --end-mark mkfs
expect_status 0 "$REPLAY_LOG" --log "$WORK/l.log" --replay "$DEV" --end-mark mkfs
cmp "$DEV" "$WORK/fs.img" || fail "replayed device differs from the mkfs image"
expect_status 0 e2fsck -fn "$DEV"
expect_status 0 "$REPLAY_LOG" --log "$WORK/l.log" --replay "$DEV" --start-mark mkfs --end-mark broken
expect_status 8 e2fsck -fn "$DEV"   # 8: operational error (no valid superblock at the default location)
echo ok
