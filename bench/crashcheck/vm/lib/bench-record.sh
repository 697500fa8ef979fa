# SPDX-License-Identifier: GPL-2.0-or-later
# bench_record FS ROUNDS [SIZES] — record a generic/482-like workload on FS with the
# in-tree log-writes target, for bench/crashcheck/run. Each round is a small
# fsstress-like mix in 8 directories: create a file (8 KiB..6 MiB, sizes
# cycle) and fsync it; then, by turn, overwrite part of an older file,
# append to one, or truncate one, with fsync or fdatasync; every 4th round
# unlinks an old file, every 5th renames one across directories, every 10th
# syncs the whole filesystem. About 1.4 MiB of data and 2 fsyncs per round:
# a log grows in data and FUA points with ROUNDS (bench-*-x2 run twice as
# many rounds as bench-*). SIZES, ten file sizes in 4 KiB blocks that the
# rounds cycle through, defaults to the long logs' (8 KiB..6 MiB); the
# short logs (bench-*-short) use 4 KiB..1 MiB, so that most of a log is
# FUA points close together, as in most xfstests runs.
bench_record() {
	fs=$1 rounds=$2
	sizes=${3:-2 32 128 512 8 1024 64 256 1536 4}
	size=$(blockdev --getsz "$DISK_data")
	# Data to write: random bytes made once (the guest's /dev/urandom is
	# slow under TCG), sliced at varying offsets.
	dd if=/dev/urandom of=/tmp/rand bs=1M count=8 2>/dev/null
	dmsetup create rec --table "0 $size log-writes $DISK_data $DISK_log"
	case $fs in
	ext4) mkfs.ext4 -q -F /dev/mapper/rec >/dev/null ;;
	xfs) mkfs.xfs -q -f /dev/mapper/rec >/dev/null ;;
	btrfs) mkfs.btrfs -q -f /dev/mapper/rec >/dev/null ;;
	esac
	dmsetup message rec 0 mark mkfs
	mount /dev/mapper/rec /mnt
	d=0
	while [ $d -lt 8 ]; do mkdir /mnt/d$d; d=$((d + 1)); done
	i=1
	while [ $i -le "$rounds" ]; do
		dir=/mnt/d$((i % 8))
		# shellcheck disable=SC2086 # a list of numbers
		set -- $sizes
		shift $((i % 10))
		blocks=$1
		dd if=/tmp/rand of="$dir/f$i" bs=4k count="$blocks" skip=$((i % 256)) conv=fsync 2>/dev/null
		old=/mnt/d$(((i - 3) % 8))/f$((i - 3))
		if [ $i -gt 3 ] && [ -f "$old" ]; then
			case $((i % 3)) in
			0) dd if=/tmp/rand of="$old" bs=4k count=8 seek=$((i % 5)) skip=$((i % 97)) conv=notrunc,fsync 2>/dev/null ;;
			1) dd if=/tmp/rand of="$old" bs=4k count=4 skip=$((i % 89)) oflag=append conv=notrunc 2>/dev/null && sync -d "$old" ;;
			2) truncate -s 12288 "$old" && sync "$old" ;;
			esac
		fi
		gone=/mnt/d$(((i - 6) % 8))/f$((i - 6))
		[ $((i % 4)) = 0 ] && [ -f "$gone" ] && rm "$gone"
		moved=/mnt/d$(((i - 5) % 8))/f$((i - 5))
		[ $((i % 5)) = 0 ] && [ -f "$moved" ] && mv "$moved" "/mnt/d$(((i + 3) % 8))/r$i"
		[ $((i % 10)) = 0 ] && sync
		i=$((i + 1))
	done
	dmsetup message rec 0 mark "done"
	umount /mnt
	dmsetup remove rec
}
