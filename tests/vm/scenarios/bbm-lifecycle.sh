#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Lifecycle: 9 legs (fail, re-add, all identical); 100 create/remove cycles with core and disk logs; remove refused while open under I/O and a resync, accepted after; rmmod refused while in use, clean after, module loads again.
# disks: legs:80M log:1M
# modules: dm-mod dm-log dm-region-hash
# ours: dm-bb-mirror
# boot: own
# timeout: 900
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
. "$BB_LIB/bbm.sh"
L=$DISK_legs
SLICE=16384 # 8 MiB per leg, legs side by side on one disk at offsets k * 8 MiB
RS=64

legs() { # legs N — "<N> <dev> <offset>..."
	s="$1"
	k=0
	while [ $k -lt "$1" ]; do s="$s $L $((k * SLICE))"; k=$((k + 1)); done
	echo "$s"
}
slice_sum() { # sha256 of leg K's slice
	echo 3 >/proc/sys/vm/drop_caches
	dd if="$L" bs=1M skip=$(($1 * SLICE / 2048)) count=$((SLICE / 2048)) 2>/dev/null | sha256sum | cut -d' ' -f1
}
refcnt() { cat /sys/module/dm_bb_mirror/refcnt; }

echo "== 9 legs"
dmsetup create m9 --table "0 $SLICE bb-mirror core 1 $RS $(legs 9) 1 handle_errors"
bbm_wait_sync m9 180
echo "$BBM_RAW"
{ [ "$BBM_LEGS" = 9 ] && [ "$BBM_HEALTH" = AAAAAAAAA ] && [ "$BBM_LEGSTATE" = AAAAAAAAA ]; } || fail "9-leg status: $BBM_RAW"
xfs_io -d -c "pwrite -q -S 0x19 -b 64k 0 2m" /dev/mapper/m9
dmsetup message m9 0 fail_leg 4
dmsetup message m9 0 fail_leg 8
bbm_parse m9
[ "$BBM_LEGSTATE" = AAAAFAAAF ] || fail "legs 4 and 8 failed: leg states $BBM_LEGSTATE"
xfs_io -d -c "pwrite -q -S 0x29 -b 64k 1m 2m" /dev/mapper/m9
dmsetup message m9 0 readd_leg 8
dmsetup message m9 0 readd_leg 4
bbm_wait_sync m9 60
echo "$BBM_RAW"
[ "$BBM_COPIED" = 64 ] || fail "the resync copied $BBM_COPIED regions, 2 MiB (64 regions) were written while legs 4 and 8 were out"
dmsetup table m9
dmsetup remove m9
want=$(slice_sum 0)
for k in 1 2 3 4 5 6 7 8; do [ "$(slice_sum $k)" = "$want" ] || fail "leg $k differs from leg 0"; done
echo "9 legs identical"

echo "== 100 create/remove cycles"
i=0
while [ $i -lt 100 ]; do
	if [ $((i % 2)) = 0 ]; then
		log="core 2 $RS nosync"
	else
		log="disk 3 $DISK_log $RS nosync"
	fi
	dmsetup create c --table "0 $SLICE bb-mirror $log $(legs $((2 + i % 8)))" || fail "cycle $i: create"
	[ $((i % 10)) != 0 ] || dd if=/dev/urandom of=/dev/mapper/c bs=64k count=4 oflag=direct 2>/dev/null
	dmsetup remove c || fail "cycle $i: remove"
	i=$((i + 1))
done
if dmsetup ls | grep -v 'No devices found' | grep -q .; then fail "devices left: $(dmsetup ls)"; fi
[ "$(refcnt)" = 0 ] || fail "module refcount $(refcnt) after 100 cycles"
echo "100 cycles done, refcount 0"

echo "== remove and rmmod under I/O"
dmsetup create m --table "0 $SLICE bb-mirror disk 2 $DISK_log $RS $(legs 2) 1 handle_errors"
bbm_wait_sync m 60
dmsetup message m 0 fail_leg 1
fio --name=busy --filename=/dev/mapper/m --rw=randrw --bs=16k --iodepth=8 --ioengine=libaio \
	--direct=1 --time_based --runtime=12 --output="$RESULTS/fio.txt" &
fio_pid=$!
# Until fio has the device open and its writes left regions out of sync
# (fio takes a while to start under TCG).
i=0
while :; do
	bbm_parse m
	[ "$(dmsetup info -c --noheadings -o open m)" -gt 0 ] && [ "$BBM_INSYNC" -lt "$BBM_TOTAL" ] && break
	i=$((i + 1))
	[ $i -lt 100 ] || fail "fio did not start writing within 30 s"
	sleep 0.3
done
dmsetup message m 0 readd_leg 1
dmsetup message m 0 resync_rate 512
if dmsetup remove m >/tmp/out 2>&1; then fail "removed while open under I/O"; fi
grep -q 'Device or resource busy' /tmp/out || fail "remove while open: $(cat /tmp/out)"
if rmmod dm_bb_mirror 2>/tmp/out; then fail "rmmod succeeded while a device is in use"; fi
echo "refused while busy: remove ($(tail -n1 /tmp/out))"
wait $fio_pid || fail "I/O failed: $(cat "$RESULTS/fio.txt")"
bbm_parse m
echo "I/O done: $BBM_RAW"
# The resync may still run (rate-limited): remove must stop it cleanly.
dmsetup remove m || fail "remove after the I/O ended"
[ "$(refcnt)" = 0 ] || fail "module refcount $(refcnt) after remove"
rmmod dm_bb_mirror || fail "rmmod"
[ ! -d /sys/module/dm_bb_mirror ] || fail "module still loaded"
insmod "$BB_MODDIR/dm-bb-mirror.ko"
dmsetup create m --table "0 $SLICE bb-mirror core 1 $RS $(legs 2)"
bbm_wait_sync m 60
dmsetup remove m
rmmod dm_bb_mirror
insmod "$BB_MODDIR/dm-bb-mirror.ko"
echo "module unloaded and loaded again"
