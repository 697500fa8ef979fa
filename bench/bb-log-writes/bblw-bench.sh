#!/bin/sh
# Benchmark (not a test): fio random 4 KiB writes at iodepth 16 and a
# sequential 1 MiB write, direct I/O, on the raw disk, through the in-tree
# log-writes target and through bb-log-writes, twice each, interleaved.
# Leaves fio JSON and teardown times in $RESULTS; bench/bb-log-writes/run
# prints the ratios.
# disks: data:256M loga:512M logb:512M
# modules: dm-log-writes
# ours: dm-bb-log-writes
# timeout: 900
set -e
size=$(blockdev --getsz "$DISK_data")
now() { cut -d' ' -f1 /proc/uptime; }

jobs() {
	fio --output-format=json --output="$RESULTS/$1-$2-randwrite.json" --name=randwrite \
		--filename="$3" --direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite \
		--bs=4k --size=32m --randseed=7 --end_fsync=1
	fio --output-format=json --output="$RESULTS/$1-$2-seqwrite.json" --name=seqwrite \
		--filename="$3" --direct=1 --ioengine=libaio --iodepth=1 --rw=write \
		--bs=1m --size=64m --end_fsync=1
}

for round in 1 2; do
	jobs raw $round "$DISK_data"
	for t in intree ours; do
		if [ $t = intree ]; then
			table="0 $size log-writes $DISK_data $DISK_loga"
		else
			table="0 $size bb-log-writes $DISK_data $DISK_logb"
		fi
		dmsetup create bench --table "$table"
		jobs $t $round /dev/mapper/bench
		start=$(now)
		dmsetup remove bench
		echo "$t $round teardown_seconds $(echo "$(now) $start" | awk '{ print $1 - $2 }')" |
			tee -a "$RESULTS/teardown.txt"
	done
done
