#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test) of bb-mirror, side by side in one guest: fio
# random 4 KiB writes at iodepth 16 and a sequential 1 MiB write (direct
# I/O) on the raw disk, the in-tree mirror and bb-mirror (2 legs, disk log,
# nosync); the time of a resync after a fault with 1 % of the regions
# dirty, of a full resync of the same device (bb-mirror and the in-tree
# mirror), and of md raid1's re-add with a write-intent bitmap after the
# same writes. ROUNDS rounds (default 3), targets in an order that rotates
# every round; PARTS=fio or PARTS=resync runs only that half. Resync times
# are taken twice: from the kernel's own lines (start to done, dmesg
# timestamps) and from outside (the command until the status says done,
# polled every 20 ms). Leaves fio JSON and times.txt in $RESULTS;
# bench/bb-mirror/run prints medians and ratios.
# disks: a:1G b:1G log:4M
# modules: dm-mod dm-mirror dm-log dm-region-hash raid1
# ours: dm-bb-mirror
# timeout: 3000
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
SZ=$(blockdev --getsz "$DISK_a")
REGION_KIB=${REGION_KIB:-512} # LVM's default mirror region size
RS=$((REGION_KIB * 2))
N=$((SZ / RS))
DIRTY=$(((N + 99) / 100)) # 1 % of the regions
rounds=${ROUNDS:-3}
now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }
# until_insync DEV — poll every 20 ms until every region is in sync (and
# bb-mirror's resync is idle with both legs current). Fields of a 2-leg
# disk-log status after "0 <len> <target>": $7 sync, $15 resync state,
# $20 leg states (docs/bb-mirror.md).
until_insync() {
	dev=$1
	while :; do
		st=$(dmsetup status "$dev") || { echo "no device $dev" >&2; exit 1; }
		# shellcheck disable=SC2086 # the status line split into its fields
		set -- $st
		if [ "$7" = "$N/$N" ]; then
			[ "$3" = mirror ] && return
			[ "${15}" = idle ] && [ "${20}" = AA ] && return
		fi
		sleep 0.02
	done
}
echo 200000000 >/proc/sys/dev/raid/speed_limit_max 2>/dev/null || true
echo 200000000 >/proc/sys/dev/raid/speed_limit_min 2>/dev/null || true

table() { # table TARGET [nosync]
	if [ -n "${2:-}" ]; then
		echo "0 $SZ $1 disk 3 $DISK_log $RS $2 2 $DISK_a 0 $DISK_b 0 1 handle_errors"
	else
		echo "0 $SZ $1 disk 2 $DISK_log $RS 2 $DISK_a 0 $DISK_b 0 1 handle_errors"
	fi
}
fresh_log() { dd if=/dev/zero of="$DISK_log" bs=1M count=4 oflag=direct 2>/dev/null; }

fio_job() { # fio_job JOB DEV JSON
	case $1 in
	randwrite) set -- "$2" "$3" --rw=randwrite --bs=4k --iodepth=16 --size=64m --randseed=7 ;;
	seqwrite) set -- "$2" "$3" --rw=write --bs=1m --iodepth=1 --size=512m ;;
	esac
	dev=$1 json=$2
	shift 2
	fio --output-format=json --output="$json" --name=job --filename="$dev" --direct=1 \
		--ioengine=libaio --end_fsync=1 "$@" >/dev/null
}

# The 1 % of regions a fault leaves dirty: one 4 KiB write in each of
# DIRTY regions spread over the device (the same offsets for every target).
dirty_writes() {
	i=0
	while [ $i -lt $DIRTY ]; do
		echo "pwrite -q -S 0x$((i % 9 + 1))1 $(((i * (N / DIRTY)) * RS * 512 + 4096)) 4k"
		i=$((i + 1))
	done >/tmp/cmds
	while read -r c; do xfs_io -d -c "$c" "$1"; done </tmp/cmds
}

# record KIND ROUND SECONDS
record() { echo "$1 $2 $3" | tee -a "$RESULTS/times.txt"; }

# The kernel's own account of a resync: kspan FROM START END prints the
# seconds between the first kernel line after line FROM of dmesg matching
# START and the first one after it matching END (dmesg's timestamps, in
# microseconds; no process start or polling in the measurement).
kline() { dmesg | wc -l; }
kspan() {
	dmesg | tail -n +"$(($1 + 1))" | awk -v s="$2" -v e="$3" '
		match($0, /^\[ *[0-9]+\.[0-9]+\]/) { t = substr($0, 2, RLENGTH - 2) + 0 }
		!st && $0 ~ s { st = t; next }
		st && $0 ~ e { printf "%.3f\n", t - st; found = 1; exit }
		END { if (!found) exit 1 }'
}

fio_round() { # fio_round ROUND TARGET...
	r=$1
	shift
	for j in randwrite seqwrite; do
		for t in "$@"; do
			case $t in
			raw) dev=$DISK_a ;;
			intree) fresh_log; dmsetup create bench --table "$(table mirror nosync)"; dev=/dev/mapper/bench ;;
			ours) fresh_log; dmsetup create bench --table "$(table bb-mirror nosync)"; dev=/dev/mapper/bench ;;
			esac
			fio_job "$j" "$dev" "$RESULTS/$t-$r-$j.json"
			[ "$t" = raw ] || dmsetup remove bench
			echo "fio $t $j round $r done"
		done
	done
}

resync_round() { # resync_round ROUND
	r=$1
	# bb-mirror: 1 % dirty after fail_leg 1, then readd_leg 1.
	# (nosync writes an all-clean log; readd_leg needs a mirror created
	# without nosync, which keeps it.)
	fresh_log
	dmsetup create bench --table "$(table bb-mirror nosync)"
	dmsetup remove bench
	dmsetup create bench --table "$(table bb-mirror)"
	dmsetup message bench 0 fail_leg 1
	dirty_writes /dev/mapper/bench
	# shellcheck disable=SC2046 # the status line split into its fields
	set -- $(dmsetup status bench)
	echo "ours, leg 1 failed: $*"
	k=$(kline)
	start=$(now)
	dmsetup message bench 0 readd_leg 1
	until_insync bench
	record ours-partial "$r" "$(since "$start")"
	t=$(kspan "$k" 'resync started [(]leg 1 re-added[)]' 'resync done:')
	record ours-partial-kernel "$r" "$t"
	dmsetup status bench >>"$RESULTS/status.txt"
	dmsetup remove bench
	# bb-mirror and the in-tree mirror: a full resync (fresh log, all
	# regions out of sync) of the same device.
	for t in bb-mirror mirror; do
		fresh_log
		k=$(kline)
		start=$(now)
		dmsetup create bench --table "$(table $t)"
		until_insync bench
		record "$t-full" "$r" "$(since "$start")"
		if [ $t = bb-mirror ]; then
			kt=$(kspan "$k" 'resync started' 'resync done:')
			record "$t-full-kernel" "$r" "$kt"
		fi
		dmsetup status bench >>"$RESULTS/status.txt"
		dmsetup remove bench
	done
	# md raid1 with a write-intent bitmap of the same granularity: fail and
	# remove leg b, the same writes, re-add.
	mdadm --zero-superblock "$DISK_a" "$DISK_b" 2>/dev/null || true
	md=$RESULTS/mdadm.log
	# shellcheck disable=SC2129 # each step appends to the one mdadm log
	yes | mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 \
		--bitmap=internal --bitmap-chunk="$REGION_KIB" --assume-clean "$DISK_a" "$DISK_b" >>"$md" 2>&1
	mdadm /dev/md0 --fail "$DISK_b" >>"$md" 2>&1
	mdadm /dev/md0 --remove "$DISK_b" >>"$md" 2>&1
	dirty_writes /dev/md0
	sleep 1
	mdadm -X "$DISK_a" >>"$md" 2>&1
	k=$(kline)
	start=$(now)
	mdadm /dev/md0 --re-add "$DISK_b" >>"$md" 2>&1
	sleep 0.02
	while grep -q 'recovery\|resync' /proc/mdstat || [ "$(cat /sys/block/md0/md/degraded)" != 0 ]; do
		sleep 0.02
	done
	record md-partial "$r" "$(since "$start")"
	t=$(kspan "$k" 'md: recovery? of RAID array md0' 'md: md0: recovery? done')
	record md-partial-kernel "$r" "$t"
	cat /proc/mdstat >>"$RESULTS/mdstat.txt"
	mdadm --stop /dev/md0 >>"$md" 2>&1
	mdadm --zero-superblock "$DISK_a" "$DISK_b"
}

echo "$N regions of $RS sectors, $DIRTY dirty (1 %)" | tee "$RESULTS/params.txt"
echo "$N $RS $DIRTY $SZ" >"$RESULTS/params"
set -- raw intree ours
for r in $(seq "$rounds"); do
	[ "${PARTS:-all}" != resync ] || break
	fio_round "$r" "$@"
	set -- "$2" "$3" "$1"
done
for r in $(seq "$rounds"); do
	[ "${PARTS:-all}" != fio ] || break
	resync_round "$r"
done
dmesg | grep bb-mirror | tail -n 20 >"$RESULTS/kernel-lines.txt" || true
