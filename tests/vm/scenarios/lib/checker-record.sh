# SPDX-License-Identifier: GPL-2.0-or-later
# checker_record FS — record a small FS workload with the in-tree log-writes
# target on $DISK_data/$DISK_log, marks "mkfs" and "work"; the scenario's
# host side (checker-<fs>.host) checks every FUA both ways.
checker_record() {
	fs=$1
	size=$(blockdev --getsz "$DISK_data")
	dmsetup create rec --table "0 $size log-writes $DISK_data $DISK_log"
	case $fs in
	ext4) mkfs.ext4 -q -F /dev/mapper/rec ;;
	xfs) mkfs.xfs -q -f /dev/mapper/rec ;;
	btrfs) mkfs.btrfs -q -f /dev/mapper/rec ;;
	esac
	dmsetup message rec 0 mark mkfs
	mount /dev/mapper/rec /mnt
	mkdir /mnt/d
	i=1
	while [ $i -le 8 ]; do
		dd if=/dev/urandom of=/mnt/d/f$i bs=4k count=$((i % 4 + 1)) conv=fsync 2>/dev/null
		i=$((i + 1))
	done
	mv /mnt/d/f1 /mnt/d/g1
	rm /mnt/d/f2
	sync
	dmsetup message rec 0 mark work
	umount /mnt
	dmsetup status rec
	dmsetup remove rec
	echo "$fs" >"$RESULTS/fs"
}
