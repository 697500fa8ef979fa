#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Checker: bb-crashcheck with dm-snapshot views, in the guest, on an ext4 log recorded there; the host compares with reflink views; a killed run's devices are removed by the next run.
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

# A run killed in the middle leaves its device-mapper views, the origin, the
# views' COW loop devices and the loop device of its target image (a file
# outside the work directory); the next run in the same --workdir removes
# them as it starts and says so.
truncate -s $((size * 512)) /tmp/target.img
# It is killed while a torn state's view (a snapshot of a snapshot) is
# checked, so that the views must be removed in order.
bb-crashcheck --log "$DISK_log" --target /tmp/target.img --view dm-snapshot --workdir /tmp/ck \
	--torn --max-states-per-point 1 --check-cmd 'sleep 0.2; test -b {dev}' --jobs 2 --no-progress \
	>/tmp/killed.txt 2>&1 &
pid=$!
stacked() { ls -d /sys/block/dm-*/holders/dm-* 2>/dev/null; }
i=0
until [ -n "$(stacked)" ]; do
	i=$((i + 1))
	[ $i -lt 400 ] || { echo "the run made no view of a view"; cat /tmp/killed.txt; exit 1; }
	sleep 0.05
done
kill -KILL $pid
echo "stacked: $(stacked | tr '\n' ' ')"
wait $pid || true
dmsetup ls | grep "^bbck$pid-" || true
n=$(dmsetup ls | grep -c "^bbck$pid-" || true)
cows=$(grep -l "^/tmp/ck/" /sys/block/loop*/loop/backing_file 2>/dev/null | wc -l)
base=$(grep -l "^/tmp/target.img" /sys/block/loop*/loop/backing_file 2>/dev/null | wc -l)
echo "the killed run left $n device-mapper devices, $cows loop devices for views, $base for its target"
[ "$n" -ge 2 ]
[ "$cows" -ge 1 ]
[ "$base" = 1 ]
bb-crashcheck --log "$DISK_log" --view copy --check-cmd true --start-entry 0 --end-entry 3 --workdir /tmp/ck \
	>/tmp/next.txt
grep -o "removed what a run that died (pid $pid).*" /tmp/next.txt
grep -q ": 0 mounts, $((cows + base)) loop devices, $n device-mapper devices" /tmp/next.txt
left=$(dmsetup ls | grep -c bbck || true)
[ "$left" = 0 ] || { dmsetup ls; exit 1; }
left=$(grep -l "^/tmp/ck/\|^/tmp/target.img" /sys/block/loop*/loop/backing_file 2>/dev/null | wc -l)
[ "$left" = 0 ] || { echo "$left loop devices left"; exit 1; }
[ -z "$(ls /tmp/ck)" ] || { ls -l /tmp/ck; exit 1; }
rm /tmp/target.img
