#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The in-tree mirror's disk log, left with regions out of sync by failed leg writes, reads back through dirtylog with exactly those regions dirty.
# disks: ka:32M kb:32M klog:1M
# modules: dm-mirror dm-log dm-region-hash
# timeout: 180
set -e
export DM_DISABLE_UDEV=1
SZ=$(blockdev --getsz "$DISK_ka")
RS=1024
N=$(( (SZ + RS - 1) / RS ))
r() { echo $(($1 * RS)); } # first sector of region $1

# Leg b fails every write to regions 3 and 6: a write there reaches leg a
# only, the mirror marks the region out of sync and never records it clean.
printf '%s\n' \
	"0 $(r 3) linear $DISK_kb 0" \
	"$(r 3) $RS error" \
	"$(r 4) $((2 * RS)) linear $DISK_kb $(r 4)" \
	"$(r 6) $RS error" \
	"$(r 7) $((SZ - $(r 7))) linear $DISK_kb $(r 7)" | dmsetup create kb_faulty
dmsetup create km --table "0 $SZ mirror disk 3 $DISK_klog $RS nosync 2 $DISK_ka 0 /dev/mapper/kb_faulty 0"
dmsetup status km
# One 64 KiB write into each of regions 1, 3, 4 and 6.
for region in 1 3 4 6; do
	dd if=/dev/urandom of=/dev/mapper/km bs=64k count=1 seek=$((region * 8)) oflag=direct 2>/dev/null
done
sleep 1
dmsetup status km | tee "$RESULTS/status.txt"
dmsetup remove km
dmsetup remove kb_faulty

dirtylog inspect "$DISK_klog" --region-size $RS --device-sectors "$SZ"
dirtylog inspect "$DISK_klog" --region-size $RS --device-sectors "$SZ" --json >"$RESULTS/kernel-log.json"
cat "$RESULTS/kernel-log.json"
grep -q '"dirty":\[\[3,3\],\[6,6\]\]' "$RESULTS/kernel-log.json" || { echo "expected regions 3 and 6 dirty"; exit 1; }
grep -q "\"sync_count\":$((N - 2))," "$RESULTS/kernel-log.json"
