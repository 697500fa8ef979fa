#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The mirror invariant (issue #18): bb-mirror with a disk log whose two legs
# and log device each sit on bb-log-writes, the three in one recording
# group (index 0 leg 0, 1 leg 1, 2 the log). Leg 0 is filled with random
# data first, so the initial resync copies bytes that differ; then direct
# writes with flushes and FUA across many regions, fail_leg/readd_leg of
# each leg with writes while failed and during the resync that follows.
# Then fio's random direct writes (two jobs, each in its half, with fsync
# and fdatasync) with leg 1 failed and during its resync.
# group-mirror-invariant.host checks every crash point of the group with
# `dirtylog check-mirror`: each region whose legs differ is out of sync in
# the disk log at that point.
# disks: a0:4M a1:4M al:1M l0:40M l1:40M l2:24M
# modules: dm-mod dm-log dm-region-hash
# ours: dm-bb-log-writes dm-bb-mirror
# timeout: 300
set -e
. "$BB_LIB/bbm.sh"
. "$BB_LIB/group.sh"
RS=32 # 16 KiB regions: 256 of them
SZ=$(blockdev --getsz "$DISK_a0")
group_create gleg0 "$DISK_a0" "$DISK_l0" 0
group_create gleg1 "$DISK_a1" "$DISK_l1" 1
group_create glog "$DISK_al" "$DISK_l2" 2
echo "$SZ $RS" >"$RESULTS/geometry"

dd if=/dev/urandom of=/dev/mapper/gleg0 bs=64k count=$((SZ / 128)) oflag=direct 2>/dev/null
xfs_io -c fsync /dev/mapper/gleg0
dmsetup message glog 0 mark filled
dmsetup create m --table "0 $SZ bb-mirror disk 2 /dev/mapper/glog $RS 2 /dev/mapper/gleg0 0 /dev/mapper/gleg1 0 1 handle_errors"
bbm_wait_sync m 120
dmsetup message glog 0 mark synced
echo "initial resync done: $(dmsetup status m)"

# write REGION [-D]: 4 KiB at a place of its own in REGION, direct, each
# write a new byte pattern; -D: RWF_DSYNC, a FUA write (busybox dd has no
# oflag=dsync).
n=0
write() {
	n=$((n + 1))
	xfs_io -d -c "pwrite -q $2 -S $((n % 255 + 1)) $((($1 * RS / 8 + $1 % 4) * 4096)) 4096" /dev/mapper/m
}

for r in 3 17 40 41 90 128 200 255; do write $r; done
xfs_io -c fsync /dev/mapper/m
for r in 5 60 61 150; do write $r -D; done
dd if=/dev/urandom of=/dev/mapper/m bs=64k seek=20 count=8 oflag=direct conv=fsync 2>/dev/null
dmsetup message glog 0 mark writes

dmsetup message m 0 fail_leg 1
for r in 10 11 12 70 180 181; do write $r; done
xfs_io -c fsync /dev/mapper/m
write 220 -D
dmsetup message m 0 readd_leg 1
bbm_wait_sync m 60
dmsetup message glog 0 mark readd1

dmsetup message m 0 fail_leg 0
for r in 30 31 100 101 102 240; do write $r -D; done
dmsetup message m 0 resync_rate 64
dmsetup message m 0 readd_leg 0
# Writes while the resync copies, some to regions it has not reached.
for r in 29 30 101 241 8; do write $r; done
xfs_io -c fsync /dev/mapper/m
dmsetup message m 0 resync_rate 0
bbm_wait_sync m 60
dmsetup message glog 0 mark readd0

# Two writers at once: plain writes with a flush after every fourth, and
# FUA writes.
(
	for r in $(seq 1 3 63); do
		write "$r"
		[ $((r % 4)) = 0 ] && xfs_io -c fsync /dev/mapper/m
	done
	xfs_io -c fsync /dev/mapper/m
) &
for r in $(seq 130 3 192); do write "$r" -D; done
wait
dmsetup message glog 0 mark writers

# fio, two jobs at once, each in its own half of the mirror: direct random
# writes with an fsync every 8 (psync), and with 4 in flight (never two on
# the same sectors) and an fdatasync every 16 (libaio); first with leg 1
# failed, then during its resync (slowed so that the writes meet it). No
# two writes in flight on the same sectors: the device may apply them in
# either order, and each leg in its own, while the log has one order (that
# of completion), so a replay could give a leg state that never existed.
# No FUA either: a FUA write is logged at completion and a plain write at
# the next flush, so a FUA write over sectors an unflushed plain write (or
# a resync copy) had just written replays under it (docs/log-format.md,
# "Limits"; docs/checking.md, "Mirror invariant"). The FUA writes above
# never meet an unflushed write to their sectors.
cat >/tmp/inv.fio <<FIO
[global]
filename=/dev/mapper/m
rw=randwrite
bs=4k
direct=1
time_based=1
runtime=2
randrepeat=0
refill_buffers=1
size=$((SZ * 256))
[psync-fsync]
offset=0
ioengine=psync
fsync=8
[aio-fdatasync]
offset=$((SZ * 256))
ioengine=libaio
iodepth=4
serialize_overlap=1
fdatasync=16
FIO
dmsetup message m 0 fail_leg 1
fio --output=/tmp/fio1.out /tmp/inv.fio
dmsetup message m 0 resync_rate 256
dmsetup message m 0 readd_leg 1
fio --output=/tmp/fio2.out /tmp/inv.fio
bbm_parse m
echo "after fio during the resync: $BBM_INSYNC/$BBM_TOTAL in sync, $BBM_STATE"
dmsetup message m 0 resync_rate 0
bbm_wait_sync m 60
grep -hE 'WRITE:|err=' /tmp/fio1.out /tmp/fio2.out | head -8
dmsetup message glog 0 mark fio
echo "end: $(dmsetup status m)"
dmsetup remove m
dmsetup message glog 0 mark removed
group_teardown gleg0 gleg1 glog
dmesg | grep -q 'joined group grp (id [0-9a-f]*) as device 2: 3 devices' || fail "no join line"
