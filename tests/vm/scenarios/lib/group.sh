# SPDX-License-Identifier: GPL-2.0-or-later
# Recording groups (bb-log-writes group=<name>:<index>, docs/log-format.md
# "Groups"): shared by the group-* scenarios.
#
# group_create NAME DATA LOG INDEX  — /dev/mapper/NAME in group "grp"
# group_point POINT MARKDEV DEV...  — a quiesced point: the caller has made
#   the filesystem quiet (frozen or unmounted); each DEV (in index order)
#   gets an empty flush (everything it completed is then logged), the mark
#   POINT goes to MARKDEV, and "POINT md5(DEV0) md5(DEV1) ..." is
#   appended to $RESULTS/points. The host check replays the group to each
#   mark and compares.
# group_freeze -f|-u DIR            — busybox fsfreeze --freeze / --unfreeze

group_create() {
	dmsetup create "$1" --table "0 $(blockdev --getsz "$2") bb-log-writes $2 $3 1 group=grp:$4"
}

# shellcheck source=sum.sh
. "$BB_LIB/sum.sh"

# The device's bytes on disk: the filesystem is quiet (frozen or unmounted)
# and wrote around the device's page cache, which bytes_sum drops (clean
# pages from an earlier point's hash would be stale); then a plain buffered
# read. (An O_DIRECT dd into a pipe does the same in 4-6x the time when two
# TCG guests run side by side, as the vm tier runs them.)
group_sum() {
	bytes_sum "$1"
}

group_point() {
	point=$1
	markdev=$2
	shift 2
	for dev; do xfs_io -c fsync "/dev/mapper/$dev"; done
	dmsetup message "$markdev" 0 mark "$point"
	line=$point
	for dev; do line="$line $(group_sum "/dev/mapper/$dev")"; done
	echo "$line" | tee -a "$RESULTS/points"
}

group_freeze() {
	case $1 in -f) how=--freeze ;; *) how=--unfreeze ;; esac
	fsfreeze "$how" "$2"
}

# Writes files and fsyncs them, renames and removes some: the workload.
group_files() {
	dir=$1
	n=$2
	mkdir -p "$dir"
	i=1
	while [ "$i" -le "$n" ]; do
		dd if=/dev/urandom of="$dir/f$i" bs=4k count=$((i % 5 + 1)) conv=fsync 2>/dev/null
		i=$((i + 1))
	done
	mv "$dir/f1" "$dir/g1"
	rm -f "$dir/f2"
	xfs_io -c fsync "$dir/g1"
}

group_teardown() {
	for dev; do dmsetup status "$dev" | tee -a "$RESULTS/status"; done
	for dev; do dmsetup table "$dev" | tee -a "$RESULTS/table"; done
	for dev; do dmsetup remove "$dev"; done
}
