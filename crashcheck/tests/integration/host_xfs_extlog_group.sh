#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-crashcheck --group on real XFS states with an external log device,
# made on the host: mkfs.xfs -l logdev=B A, then files written and synced
# while mounted (the log must be recovered), then more, then the unmount;
# both images copied after each state, logged as group_script says. Checks that
# bb-crashcheck --fs xfs --xfs-logdev log and a slow reference (replay-log
# --group from entry 0 to each point, mount -o logdev, umount,
# xfs_repair -n -l; compare_group_loop.sh) agree at every FLUSH and FUA,
# all passing; and that a doctored order fails at one (see group_script).
# Needs root.
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}" "${REPO:?}"
# shellcheck source=fs_states.sh
. "$(dirname "$0")/fs_states.sh"
fs_states_begin checker-xfs-extlog
mib=320 # mkfs.xfs's minimum is 300 MiB
logmib=64 # and an external log's 64 MiB
limg=$work/log.img
ldev=
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	[ -n "$ldev" ] && losetup -d "$ldev"
	fs_states_cleanup
}
trap cleanup EXIT
truncate -s ${mib}M "$img"
truncate -s ${logmib}M "$limg"
dev=$(losetup -f --show "$img")
ldev=$(losetup -f --show "$limg")
snap() { # snap N: both images as state N
	cp --sparse=always "$img" "$work/s$1.img"
	cp --sparse=always "$limg" "$work/l$1.img"
}
mkfs.xfs -q -f -l logdev="$ldev" "$dev"
snap 0
mount -t xfs -o logdev="$ldev" "$dev" "$mnt"
for i in 1 2 3 4; do head -c $((i * 23456)) /dev/urandom >"$mnt/f$i"; done
mkdir "$mnt/d"
mv "$mnt/f1" "$mnt/d/g1"
sync
snap 1
mkdir "$mnt/many"
for i in $(seq 1 400); do echo "$i" >"$mnt/many/n$i"; done
rm "$mnt/f2"
sync
snap 2
umount "$mnt"
snap 3
losetup -d "$ldev"
ldev=
losetup -d "$dev"
dev=

# group_script ORDER — the builder script; ORDER "real" or "doctored".
# Device 0 is the data device, device 1 the log device. The mkfs: the log
# device's blocks and a flush, then the data device's, a flush and the
# mark. Each later state: the log device's blocks and a flush (the log is
# written ahead), then the data device's blocks, a flush and a FUA of its
# superblock.
#
# The doctored order moves the data device's mkfs blocks and their flush
# after the log device's state-1 blocks and flush. Each device's log holds
# the same entries in the same order as in the real group; only the global
# order differs, so only a checker of the group can tell. At the log's
# state-1 flush the log device holds state 1's transactions while the data
# device holds nothing (the filesystem they belong to is not made yet):
# the mount fails and so does xfs_repair. Every later point passes again
# (each state's blocks are the whole state).
group_script() {
	local s
	echo "device 1"
	echo "discard 0 $((logmib * 2048))"
	echo "image $work/l0.img 4096"
	echo flush
	echo "device 0"
	echo "discard 0 $((mib * 2048))"
	[ "$1" = real ] && printf 'image %s 4096\nflush\n' "$work/s0.img"
	echo "mark mkfs"
	for s in 1 2 3; do
		head -c 4096 "$work/s$s.img" >"$work/sb$s"
		printf 'device 1\nimage %s 4096\nflush\n' "$work/l$s.img"
		[ "$1" = doctored ] && [ $s = 1 ] && printf 'device 0\nimage %s 4096\nflush\n' "$work/s0.img"
		printf 'device 0\nimage %s 4096\nflush\nwrite-file 0 %s fua meta\n' "$work/s$s.img" "$work/sb$s"
	done
	# A clean teardown of both devices: the group is complete.
	printf 'device 1\nmark dm-log-writes-end\ndevice 0\nmark dm-log-writes-end\n'
}

size=$((mib << 20))
for order in real doctored; do
	group_script $order | "$LOG_BUILDER" --group-id 0x5eed --out "$work/$order-data.log" \
		--out "$work/$order-log.log"
	echo "== $order order"
	# The checker against the loop from entry 0 (the same points, the same
	# verdicts); the verdicts go to $work/$order/fast.
	WORK=$work "$(dirname "$0")/compare_group_loop.sh" -o "$work/$order" --points fua,flush xfs \
		"$work/$order-data.log=$size" "$work/$order-log.log=$((logmib << 20))"
	cp "$work/$order/fast" "$work/$order.fast"
	# 3 per state (log flush, data flush, FUA), 1 more for the moved mkfs flush
	want=9
	[ $order = doctored ] && want=10
	[ "$(wc -l <"$work/$order.fast")" = $want ] || { echo "expected $want points"; exit 1; }
done
! grep -q fail "$work/real.fast" || { echo "the real order fails a check"; exit 1; }
[ "$(grep -c fail "$work/doctored.fast")" = 1 ] || { echo "the doctored order must fail at one point"; exit 1; }
# The failing point is the log device's state-1 flush: the first point.
[ "$(sed -n 1p "$work/doctored.fast" | cut -d' ' -f2)" = fail ] || { echo "wrong point failed"; exit 1; }
echo OK
