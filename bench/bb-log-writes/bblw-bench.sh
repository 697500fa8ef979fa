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
#
# MODE=group compares instead what a recording group costs (issue #18):
# the same job on two devices side by side (one fio, a job per device), on
# the two raw disks (raw2), through two independent bb-log-writes devices
# (single) and through two bb-log-writes devices of one group (group);
# rotated as above. Besides the times it records both logs' entries and
# bytes, and checks that the group's logs carry group tags (replay-log)
# and the single ones none.
# disks: data:256M data2:256M loga:512M logb:512M
# modules: dm-log-writes
# ours: dm-bb-log-writes
# timeout: 1800
set -e
size=$(blockdev --getsz "$DISK_data")
rounds=${ROUNDS:-5}
jobs=${JOBS:-randwrite seqwrite fsync}
case ${MODE:-} in
group) targets="raw2 single group" names="bench bench2" ;;
*) targets="raw intree ours" names="bench" ;;
esac
now() { cut -d' ' -f1 /proc/uptime; }
since() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }

job() { # job NAME JSON FILE...: one fio job per FILE, side by side
	name=$1 json=$2
	shift 2
	files='' i=0
	for f; do
		files="$files --name=job$i --filename=$f"
		i=$((i + 1))
	done
	case $name in
	randwrite) set -- --rw=randwrite --bs=4k --iodepth=16 --size=32m --randseed=7 ;;
	seqwrite) set -- --rw=write --bs=1m --iodepth=1 --size=128m ;;
	fsync) set -- --rw=randwrite --bs=4k --iodepth=1 --fsync=1 --size=2m --randseed=7 ;;
	esac
	# shellcheck disable=SC2086 # $files: the job options, split on purpose
	fio --output-format=json --output="$json" --direct=1 --ioengine=libaio --end_fsync=1 "$@" \
		$files >/dev/null
}

# The CPU ticks of the log threads of the targets being measured (a fresh
# target per job: no other ones): the in-tree one is "log-write", ours
# "bblw/<major:minor>".
log_thread_cpu() {
	found=0 ticks=0
	for p in /proc/[0-9]*; do
		case $(cat "$p/comm" 2>/dev/null) in
		log-write | bblw/*)
			found=$((found + 1))
			ticks=$((ticks + $(awk '{ print $14 + $15 }' "$p/stat")))
			;;
		esac
	done
	[ "$found" = "$1" ] || { echo "$found log threads, not $1" >&2; exit 1; }
	echo "$ticks"
}

# Wait until the targets' entry counts hold still for 0.1 s: the log
# threads have written what the job's final flush handed them.
drain() {
	last=-1
	while :; do
		n=
		for d in $names; do n="$n $(dmsetup status "$d" | cut -d' ' -f4)"; done
		[ "$n" = "$last" ] && return
		last=$n
		sleep 0.1
	done
}

# read_logs LOG... — "entries bytes tagged" over the logs, read back with
# replay-log once the targets are gone: the entries (end marks included),
# the bytes written (the superblock sector too: the end of the last entry)
# and the entries that carry a group tag.
read_logs() {
	for log; do replay-log --no-index --log "$log" --dump; done | awk '
		/^entry=/ { e++; if (/ group_seq=/) g++ }
		/^end / { sub(/.*next_offset=/, ""); b += $1 }
		END { printf "%d %d %d\n", e, b, g }'
}

# measure TARGET JOB ROUND: one job on fresh devices; one line in times.txt:
# target job round fio_s drain_s teardown_s log_thread_cpu_ticks entries log_bytes
# (entries and bytes of the job's logs, 0 0 on raw disks). Every entry of
# a group's logs must carry a group tag, none of another log.
measure() {
	t=$1 j=$2 r=$3
	case $t in
	raw) set -- "$DISK_data" ;;
	raw2) set -- "$DISK_data" "$DISK_data2" ;;
	intree) dmsetup create bench --table "0 $size log-writes $DISK_data $DISK_loga" ;;
	ours) dmsetup create bench --table "0 $size bb-log-writes $DISK_data $DISK_logb" ;;
	single | group)
		g0='' g1=''
		[ "$t" = group ] && g0=" 1 group=bench:0" g1=" 1 group=bench:1"
		dmsetup create bench --table "0 $size bb-log-writes $DISK_data $DISK_loga$g0"
		dmsetup create bench2 --table "0 $size bb-log-writes $DISK_data2 $DISK_logb$g1"
		;;
	esac
	case $t in
	intree | ours) set -- /dev/mapper/bench ;;
	single | group) set -- /dev/mapper/bench /dev/mapper/bench2 ;;
	esac
	ndev=$#
	start=$(now)
	job "$j" "$RESULTS/$t-$r-$j.json" "$@"
	fio_s=$(since "$start")
	drain_s=0 teardown_s=0 cpu=0 entries=0 bytes=0
	case $t in raw*) ;; *)
		start=$(now)
		drain
		drain_s=$(since "$start")
		cpu=$(log_thread_cpu "$ndev")
		start=$(now)
		for d in $names; do dmsetup remove "$d"; done
		teardown_s=$(since "$start")
		case $t in
		intree) set -- "$DISK_loga" ;;
		ours) set -- "$DISK_logb" ;;
		*) set -- "$DISK_loga" "$DISK_logb" ;;
		esac
		read -r entries bytes tagged <<-EOF
			$(read_logs "$@")
		EOF
		want=0
		[ "$t" = group ] && want=$entries
		[ "$tagged" = "$want" ] || { echo "$t: $tagged of $entries entries tagged, not $want" >&2; exit 1; }
		;;
	esac
	echo "$t $j $r $fio_s $drain_s $teardown_s $cpu $entries $bytes" | tee -a "$RESULTS/times.txt"
}

# shellcheck disable=SC2086 # $targets: three words
set -- $targets
for r in $(seq "$rounds"); do
	for j in $jobs; do
		for t in "$@"; do measure "$t" "$j" "$r"; done
	done
	set -- "$2" "$3" "$1"
done
