#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-crashcheck --group --fs btrfs on real btrfs raid1 states over two
# devices, made on the host: mkfs.btrfs -d raid1 -m raid1 A B, files
# written and synced while mounted, more, the unmount; both images copied
# after each state. The group log holds each state as both devices' blocks,
# a flush of each, and a FUA of each device's superblock (64 KiB in).
# Checks that the checker (btrfs check, mount -o device=A,device=B, umount,
# btrfs check; then btrfs device scan --forget) and a slow reference
# (replay-log --group to each point, the same steps; compare_group_loop.sh)
# agree at every point, all passing. Checks of a group run one at a time:
# btrfs refuses two mounted filesystems of one fsid. Needs root.
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}" "${REPO:?}"
# shellcheck source=fs_states.sh
. "$(dirname "$0")/fs_states.sh"
fs_states_begin checker-btrfs-group
mib=256
img2=$work/fs2.img
dev2=
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	[ -n "$dev2" ] && losetup -d "$dev2"
	fs_states_cleanup
}
trap cleanup EXIT
truncate -s ${mib}M "$img" "$img2"
dev=$(losetup -f --show "$img")
dev2=$(losetup -f --show "$img2")
snap() { # snap N: both images as state N
	cp --sparse=always "$img" "$work/a$1.img"
	cp --sparse=always "$img2" "$work/b$1.img"
}
mkfs.btrfs -q -f -d raid1 -m raid1 "$dev" "$dev2" >/dev/null
snap 0
mount -t btrfs -o "device=$dev,device=$dev2" "$dev" "$mnt"
for i in 1 2 3 4; do head -c $((i * 23456)) /dev/urandom >"$mnt/f$i"; done
mkdir "$mnt/d"
mv "$mnt/f1" "$mnt/d/g1"
sync
snap 1
rm "$mnt/f2"
for i in $(seq 1 100); do echo "$i" >"$mnt/d/n$i"; done
sync
snap 2
umount "$mnt"
snap 3
btrfs device scan --forget "$dev" "$dev2"
losetup -d "$dev2"
dev2=
losetup -d "$dev"
dev=

{
	for d in 0 1; do
		echo "device $d"
		echo "discard 0 $((mib * 2048))"
	done
	for s in 0 1 2 3; do
		printf 'device 0\nimage %s 4096\nflush\n' "$work/a$s.img"
		printf 'device 1\nimage %s 4096\nflush\n' "$work/b$s.img"
		dd if="$work/a$s.img" of="$work/sba$s" bs=4096 skip=16 count=1 status=none
		dd if="$work/b$s.img" of="$work/sbb$s" bs=4096 skip=16 count=1 status=none
		printf 'device 0\nwrite-file 128 %s fua meta\n' "$work/sba$s"
		printf 'device 1\nwrite-file 128 %s fua meta\n' "$work/sbb$s"
		[ $s = 0 ] && printf 'device 0\nmark mkfs\n'
	done
	printf 'device 1\nmark dm-log-writes-end\ndevice 0\nmark dm-log-writes-end\n'
} | "$LOG_BUILDER" --group-id 0xb7 --out "$work/a.log" --out "$work/b.log"

size=$((mib << 20))
# The checker against the loop from entry 0 (the same points, the same
# verdicts); the verdicts go to $work/cmp/fast.
WORK=$work "$(dirname "$0")/compare_group_loop.sh" -o "$work/cmp" btrfs "$work/a.log=$size" "$work/b.log=$size"
[ "$(wc -l <"$work/cmp/fast")" = 6 ] || { echo "expected 6 points (2 FUAs a state after mkfs)"; exit 1; }
! grep -q fail "$work/cmp/fast" || { echo "a state fails"; exit 1; }
echo OK
