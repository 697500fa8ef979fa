#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-crashcheck --group --fs btrfs on real btrfs raid1 states over two
# devices, made on the host: mkfs.btrfs -d raid1 -m raid1 A B, files
# written and synced while mounted, more, the unmount; both images copied
# after each state. The group log holds each state as both devices' blocks,
# a flush of each, and a FUA of each device's superblock (64 KiB in).
# Checks that the checker (btrfs check, mount -o device=A,device=B, umount,
# btrfs check; then btrfs device scan --forget) and a slow reference
# (replay-log --group to each point, the same steps) agree at every point,
# all passing. Checks of a group run one at a time: btrfs refuses two
# mounted filesystems of one fsid. Needs root.
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
"$BB_BIN/bb-crashcheck" --group "$work/a.log=a" --group "$work/b.log=b" --fs btrfs --size "$size" \
	--workdir "$work" --json --keep-dir "" >"$work/fast.json" || [ $? = 1 ]
grep -o '"entry":[0-9]*,"kind":"[^"]*","state":"prefix","dropped":\[\],"torn":null,"verdict":"[a-z]*"' \
	<(sed 's/\],"summary".*//' "$work/fast.json") | sed 's/"entry":\([0-9]*\),.*"verdict":"\([a-z]*\)"/\1 \2/' \
	>"$work/fast"

# The slow reference: replay-log --group to each point onto new images.
while read -r e _; do
	rm -f "$work/sa.img" "$work/sb.img"
	truncate -s "$size" "$work/sa.img" "$work/sb.img"
	"$BB_BIN/replay-log" --group "$work/a.log=$work/sa.img" --group "$work/b.log=$work/sb.img" \
		--limit $((e + 1)) >/dev/null
	dev=$(losetup -f --show "$work/sa.img")
	dev2=$(losetup -f --show "$work/sb.img")
	rc=0
	btrfs check --readonly "$dev" >/dev/null 2>&1 || rc=1
	if [ $rc = 0 ] && mount -t btrfs -o "device=$dev,device=$dev2" "$dev" "$mnt" 2>/dev/null; then
		umount "$mnt"
		btrfs check --readonly "$dev" >/dev/null 2>&1 || rc=1
	else
		rc=1
	fi
	btrfs device scan --forget "$dev" "$dev2" 2>/dev/null || true
	losetup -d "$dev2"
	dev2=
	losetup -d "$dev"
	dev=
	if [ $rc = 0 ]; then echo "$e pass"; else echo "$e fail"; fi
done <"$work/fast" >"$work/slow"
echo "== global entry, verdict (checker | slow loop)"
paste "$work/fast" "$work/slow"
[ "$(wc -l <"$work/fast")" = 6 ] || { echo "expected 6 points (2 FUAs a state after mkfs)"; exit 1; }
diff -u "$work/slow" "$work/fast" || { echo "verdicts differ"; exit 1; }
! grep -q fail "$work/fast" || { echo "a state fails"; exit 1; }
echo OK
