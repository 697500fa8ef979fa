#!/bin/sh
# Checker: bb-crashcheck with dm-snapshot views, in the guest, on an ext4 log recorded there; the host compares with reflink views.
# disks: data:512M log:512M target:512M
# modules: dm-log-writes dm-snapshot
# timeout: 300
# The replay goes to the (zeroed) target disk through a snapshot-origin
# device; every crash point is a non-persistent snapshot with its COW store
# on a loop device; --torn with one state per point also makes snapshots of
# snapshots (views of the epoch base). checker-dm-snapshot.host then runs
# bb-crashcheck with reflink views on log.img: same verdicts required.
set -e
size=$(blockdev --getsz "$DISK_data")
dmsetup create rec --table "0 $size log-writes $DISK_data $DISK_log"
mkfs.ext4 -q -F /dev/mapper/rec
dmsetup message rec 0 mark mkfs
mount /dev/mapper/rec /mnt
i=1
while [ $i -le 6 ]; do
	dd if=/dev/urandom of=/mnt/f$i bs=4k count=$i conv=fsync 2>/dev/null
	i=$((i + 1))
done
umount /mnt
dmsetup remove rec
mkdir -p /tmp/ck
bb-crashcheck --log "$DISK_log" --fs ext4 --target "$DISK_target" --view dm-snapshot --workdir /tmp/ck \
	--torn --max-states-per-point 1 --jobs 2 --keep-dir "" --no-progress --json >"$RESULTS/dm-snapshot.json"
grep -o '"summary":{[^}]*}' "$RESULTS/dm-snapshot.json"
grep -q '"view":"dm-snapshot"' "$RESULTS/dm-snapshot.json"
# Views and the origin are gone afterwards.
left=$(dmsetup ls | grep -c bbck || true)
[ "$left" = 0 ] || { dmsetup ls; exit 1; }
