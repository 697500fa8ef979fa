#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A disk log written by dirtylog with regions 2, 5, 9-10 out of sync is loaded by the in-tree mirror, which resyncs exactly those regions.
# disks: ta:32M tb:32M tlog:1M
# modules: dm-mirror dm-log dm-region-hash
# timeout: 180
set -e
export DM_DISABLE_UDEV=1
SZ=$(blockdev --getsz "$DISK_ta")
RS=1024
N=$(( (SZ + RS - 1) / RS ))
DIRTY="2 5 9 10"

# The legs differ everywhere: random data on the primary, zeros on leg b.
dd if=/dev/urandom of="$DISK_ta" bs=1M count=32 2>/dev/null
dirtylog create "$DISK_tlog" --device-sectors "$SZ" --region-size $RS --dirty 2,5,9-10
dirtylog inspect "$DISK_tlog" --region-size $RS

# The primary leg sits behind a suspended linear device, so recovery cannot
# read from it yet and the status shows the count the kernel read.
dmsetup create ta_lin --table "0 $SZ linear $DISK_ta 0"
dmsetup suspend ta_lin
dmsetup create tm --table "0 $SZ mirror disk 2 $DISK_tlog $RS 2 /dev/mapper/ta_lin 0 $DISK_tb 0"
sleep 1
first=$(dmsetup status tm | awk '{print $7}')
echo "first status: $first"
dmsetup resume ta_lin
i=0
while [ "$(dmsetup status tm | awk '{print $7}')" != "$N/$N" ]; do
	i=$((i + 1))
	[ $i -le 120 ] || { echo "no sync: $(dmsetup status tm)"; exit 1; }
	sleep 1
done
dmsetup status tm | tee "$RESULTS/status.txt"
dmsetup remove tm
dmsetup remove ta_lin
[ "$first" = "$((N - 4))/$N" ] || { echo "kernel started with $first in sync, expected $((N - 4))/$N"; exit 1; }

# Exactly the chosen regions were copied; every other region still differs.
region=0
while [ $region -lt "$N" ]; do
	a=$(dd if="$DISK_ta" bs=512k skip=$region count=1 2>/dev/null | md5sum)
	b=$(dd if="$DISK_tb" bs=512k skip=$region count=1 2>/dev/null | md5sum)
	case " $DIRTY " in
	*" $region "*) [ "$a" = "$b" ] || { echo "region $region not resynced"; exit 1; } ;;
	*) [ "$a" != "$b" ] || { echo "region $region copied but was in sync"; exit 1; } ;;
	esac
	region=$((region + 1))
done
echo "only regions $DIRTY were copied"
# The mirror recorded them clean on the way.
dirtylog inspect "$DISK_tlog" --region-size $RS --json | tee "$RESULTS/after.json" | grep -q "\"sync_count\":$N,"
