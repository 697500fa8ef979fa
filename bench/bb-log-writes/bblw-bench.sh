#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark (not a test): fio random 4 KiB writes at iodepth 16, a
# sequential 1 MiB write, and 4 KiB random writes each followed by fsync
# (a flush per write: the superblock cost), direct I/O, on the raw disk,
# through the in-tree log-writes target and through bb-log-writes; ROUNDS
# rounds (default 5), the three interleaved in an order that rotates every
# round, each job on a freshly created target. JOBS picks some of the jobs
# (randwrite seqwrite fsync). Leaves fio JSON and times.txt in $RESULTS;
# bench/bb-log-writes/run prints medians and ratios.
# disks: data:256M loga:512M logb:512M
# modules: dm-log-writes
# ours: dm-bb-log-writes
# timeout: 1800
set -e
size=$(blockdev --getsz "$DISK_data")
rounds=${ROUNDS:-5}
jobs=${JOBS:-randwrite seqwrite fsync}
now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }

job() { # job NAME FILE JSON
	case $1 in
	randwrite) set -- "$2" "$3" --rw=randwrite --bs=4k --iodepth=16 --size=32m --randseed=7 ;;
	seqwrite) set -- "$2" "$3" --rw=write --bs=1m --iodepth=1 --size=128m ;;
	fsync) set -- "$2" "$3" --rw=randwrite --bs=4k --iodepth=1 --fsync=1 --size=2m --randseed=7 ;;
	esac
	file=$1 json=$2
	shift 2
	fio --output-format=json --output="$json" --name=job --filename="$file" --direct=1 \
		--ioengine=libaio --end_fsync=1 "$@" >/dev/null
}

# The log thread of the target being measured: the in-tree one is
# "log-write", ours "bblw/<major:minor>".
log_thread() {
	for p in /proc/[0-9]*; do
		case $(cat "$p/comm" 2>/dev/null) in
		log-write | bblw/*) echo "${p#/proc/}"; return ;;
		esac
	done
}

# Wait until the target's entry count holds still for 0.1 s: the log
# thread has written what the job's final flush handed it.
drain() {
	last=-1
	while :; do
		n=$(dmsetup status bench | cut -d' ' -f4)
		[ "$n" = "$last" ] && return
		last=$n
		sleep 0.1
	done
}

# measure TARGET JOB ROUND: one job on a fresh device; one line in times.txt:
# target job round fio_s drain_s teardown_s log_thread_cpu_ticks
measure() {
	t=$1 j=$2 r=$3
	case $t in
	raw) dev=$DISK_data ;;
	intree) dmsetup create bench --table "0 $size log-writes $DISK_data $DISK_loga" ;;
	ours) dmsetup create bench --table "0 $size bb-log-writes $DISK_data $DISK_logb" ;;
	esac
	[ "$t" = raw ] || dev=/dev/mapper/bench
	start=$(now)
	job "$j" "$dev" "$RESULTS/$t-$r-$j.json"
	fio_s=$(since "$start")
	drain_s=0 teardown_s=0 cpu=0
	if [ "$t" != raw ]; then
		start=$(now)
		drain
		drain_s=$(since "$start")
		pid=$(log_thread)
		[ -n "$pid" ] || { echo "no log thread found" >&2; exit 1; }
		cpu=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
		start=$(now)
		dmsetup remove bench
		teardown_s=$(since "$start")
	fi
	echo "$t $j $r $fio_s $drain_s $teardown_s $cpu" | tee -a "$RESULTS/times.txt"
}

set -- raw intree ours
for r in $(seq "$rounds"); do
	for j in $jobs; do
		for t in "$@"; do measure "$t" "$j" "$r"; done
	done
	set -- "$2" "$3" "$1"
done
