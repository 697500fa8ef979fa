#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Differential: one workload through the in-tree mirror and bb-mirror with the same tables (core log with a full resync, disk log nosync): legs byte-identical, same data, same status prefix form and sync counts, same disk-log bitmap.
# disks: a1:32M b1:32M a2:32M b2:32M loga:1M logb:1M
# modules: dm-mod dm-mirror dm-log dm-region-hash
# ours: dm-bb-mirror
# timeout: 600
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
. "$BB_LIB/bbm.sh"
SZ=$(blockdev --getsz "$DISK_a1")
RS=128 # 64 KiB regions: 512 of them
N=$((SZ / RS))
dd if=/dev/urandom of=/tmp/rand bs=64k count=4 2>/dev/null

# workload DEV PASS — the same writes, in the same order, on either target:
# sizes from 512 bytes to 2 MiB, region-aligned or not, crossing regions,
# O_DSYNC/FUA, fsync (flush), a discard, buffered writes.
workload() {
	io() { xfs_io -d -c "$*" "$1"; }
	dev=$1 p=$2
	xfs_io -d -c "pwrite -q -S 0x1$p -b 64k 0 256k" "$dev"
	xfs_io -d -c "pwrite -q -S 0x2$p -b 4k 1m 16k" "$dev"
	xfs_io -d -c "pwrite -q -S 0x3$p -b 512 $((2 * 1048576 + 65536 - 1024)) 2k" "$dev"
	xfs_io -d -c "pwrite -q -S 0x4$p -b 1m 8m 2m" "$dev"
	xfs_io -d -c fsync "$dev"
	xfs_io -d -s -c "pwrite -q -i /tmp/rand -b 4k $((12 * 1048576 + 4096 * p)) 256k" "$dev"
	blkdiscard -o 4194304 -l 1048576 "$dev"
	xfs_io -d -c "pwrite -q -S 0x6$p -b 4k 4m 8k" "$dev"
	xfs_io -c "pwrite -q -S 0x7$p -b 16k 20m 96k" -c fsync "$dev"
	xfs_io -d -c "pwrite -q -S 0x8$p -b 64k $((SZ * 512 - 65536)) 64k" "$dev"
	sync
}

# one LOGNAME TABLE-TEMPLATE — the same table for both targets, with
# LEG_A/LEG_B/LOG substituted by each one's devices.
one() {
	name=$1 tpl=$2
	echo "== $name: $tpl"
	t1=$(echo "$tpl" | sed "s|LOG|$DISK_loga|; s|LEG_A|$DISK_a1|; s|LEG_B|$DISK_b1|")
	t2=$(echo "$tpl" | sed "s|LOG|$DISK_logb|; s|LEG_A|$DISK_a2|; s|LEG_B|$DISK_b2|")
	dmsetup create intree --table "0 $SZ mirror $t1"
	dmsetup create ours --table "0 $SZ bb-mirror $t2"
	bbm_parse intree
	echo "created: in-tree $BBM_INSYNC/$BBM_TOTAL, ours: $(dmsetup status ours)"
	bbm_wait_sync intree 120
	bbm_wait_sync ours 120
	bbm_parse intree
	p1=$BBM_PREFIX s1=$BBM_INSYNC/$BBM_TOTAL
	bbm_parse ours
	p2=$BBM_PREFIX s2=$BBM_INSYNC/$BBM_TOTAL
	echo "in sync: in-tree '$p1', ours '$p2' (ours' fields: $BBM_NOURS $BBM_STATE ... legs $BBM_LEGSTATE)"
	[ "$s1" = "$N/$N" ] || fail "in-tree sync count $s1, want $N/$N"
	[ "$s2" = "$s1" ] || fail "sync counts differ: in-tree $s1, ours $s2"
	[ "$p1" = "$p2" ] || fail "status prefixes differ: in-tree '$p1', ours '$p2'"
	{ [ "$BBM_NOURS" -ge 9 ] && [ "$BBM_LEGSTATE" = AA ] && [ "$BBM_STATE" = idle ]; } ||
		fail "our fields: $BBM_RAW"

	workload /dev/mapper/intree "$3"
	workload /dev/mapper/ours "$3"
	bbm_wait_sync intree 60
	bbm_wait_sync ours 60
	bbm_parse intree
	p1=$BBM_PREFIX
	bbm_parse ours
	p2=$BBM_PREFIX
	echo "after the workload: in-tree '$p1', ours '$p2'"
	[ "$p1" = "$p2" ] || fail "status prefixes differ after the workload: in-tree '$p1', ours '$p2'"
	dmsetup table intree | tee "$RESULTS/$name-intree.table"
	dmsetup table ours | tee "$RESULTS/$name-ours.table"
	# Same table text apart from the target's devices.
	[ "$(sed 's/ mirror / X /; s/[0-9]*:[0-9]*/M/g' "$RESULTS/$name-intree.table")" = \
		"$(sed 's/ bb-mirror / X /; s/[0-9]*:[0-9]*/M/g' "$RESULTS/$name-ours.table")" ] ||
		fail "dmsetup table differs beyond the devices"
	dmsetup remove intree
	dmsetup remove ours
	[ "$(sum "$DISK_a1")" = "$(sum "$DISK_b1")" ] || fail "$name: in-tree mirror's legs differ"
	[ "$(sum "$DISK_a2")" = "$(sum "$DISK_b2")" ] || fail "$name: bb-mirror's legs differ"
	[ "$(sum "$DISK_a1")" = "$(sum "$DISK_a2")" ] || fail "$name: the two targets wrote different data"
	echo "$name: 4 legs identical"
}

# Leg b starts with other data than leg a: the core log's full resync must
# copy leg 0 over it in both targets.
for d in "$DISK_b1" "$DISK_b2"; do
	dd if=/dev/zero bs=64k count=512 2>/dev/null | tr '\0' '\125' | dd of="$d" bs=64k oflag=direct 2>/dev/null
done
one core "core 1 $RS 2 LEG_A 0 LEG_B 0" 1
one disk "disk 3 LOG $RS nosync 2 LEG_A 0 LEG_B 0 1 handle_errors" 2

# Both disk logs: the same header and bitmap (dm-log's part of the device;
# bb-mirror keeps its leg state in the last 4 KiB, outside it).
cmp -n $((1024 + N / 8)) "$DISK_loga" "$DISK_logb" || fail "the disk logs differ"
dirtylog inspect "$DISK_logb" --region-size $RS --device-sectors "$SZ" --json >"$RESULTS/ours-log.json"
cat "$RESULTS/ours-log.json"
grep -q "\"sync_count\":$N," "$RESULTS/ours-log.json" || fail "libdirtylog does not read $N regions in sync"
echo "disk logs identical, libdirtylog reads bb-mirror's"
