# bench_record FS N — record N fsync'ed file writes on FS (in-tree
# log-writes), a rename, a delete and a sync every 10, for bench/checker/run.
bench_record() {
	fs=$1 n=$2
	size=$(blockdev --getsz "$DISK_data")
	dmsetup create rec --table "0 $size log-writes $DISK_data $DISK_log"
	case $fs in
	ext4) mkfs.ext4 -q -F /dev/mapper/rec >/dev/null ;;
	xfs) mkfs.xfs -q -f /dev/mapper/rec >/dev/null ;;
	btrfs) mkfs.btrfs -q -f /dev/mapper/rec >/dev/null ;;
	esac
	dmsetup message rec 0 mark mkfs
	mount /dev/mapper/rec /mnt
	mkdir /mnt/d
	i=1
	while [ $i -le "$n" ]; do
		dd if=/dev/urandom of=/mnt/d/f$i bs=4k count=$((i % 4 + 1)) conv=fsync 2>/dev/null
		if [ $((i % 10)) = 0 ]; then
			mv /mnt/d/f$((i - 1)) /mnt/d/renamed-$i
			rm /mnt/d/f$((i - 2))
			sync
		fi
		i=$((i + 1))
	done
	dmsetup message rec 0 mark done
	umount /mnt
	dmsetup remove rec
}
