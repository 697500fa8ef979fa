#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The xfs profile on real XFS states made on the host (no device-mapper
# needed): mkfs, then files written and synced while mounted (so the log
# must be recovered by the check's mount), then the unmount, each logged as
# its changed image, a FLUSH and a FUA write of the superblock. Checks that
# bb-crashcheck (xfs_repair -n -P with a buffer cache sized to the image)
# and the xfstests-style loop (plain xfs_repair -n) agree at every FUA, also
# with a corrupted metadata write (compare_slow_loop.sh), and that the
# profile's xfs_repair ran with the cache size the image calls for. Needs
# root.
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}" "${REPO:?}"
# shellcheck source=fs_states.sh
. "$(dirname "$0")/fs_states.sh"
fs_states_begin checker-xfs
mib=320 # mkfs.xfs's minimum is 300 MiB
truncate -s ${mib}M "$img"
mkfs.xfs -q -f "$img"
cp --sparse=always "$img" "$work/s0.img"
dev=$(losetup -f --show "$img")
mount -t xfs "$dev" "$mnt"
for i in 1 2 3 4; do head -c $((i * 23456)) /dev/urandom >"$mnt/f$i"; done
mkdir "$mnt/d"
mv "$mnt/f1" "$mnt/d/g1"
sync
cp --sparse=always "$img" "$work/s1.img"
umount "$mnt"
losetup -d "$dev"
dev=
cp --sparse=always "$img" "$work/s2.img"

log=$work/log.img
fs_states_log "$log" "$mib" 2

echo "== verdicts against the xfstests-style loop"
WORK=$work "$REPO/crashcheck/tests/integration/compare_slow_loop.sh" "$log" xfs $((mib << 20))

echo "== xfs_repair's buffer cache sized to the image"
"$BB_BIN/bb-crashcheck" --log "$log" --fs xfs --size $((mib << 20)) --workdir "$work" --keep-dir "" -v \
	>"$work/report.txt"
want="xfs_repair -n -P -o bhash=$((mib * 4)) -o phase2_threads=1 /dev/loop"
n=$(grep -c -- "$want" "$work/report.txt" || true)
[ "$n" = 2 ] || { echo "expected '$want' at both points, found it $n times:"; cat "$work/report.txt"; exit 1; }
[ "$("$BB_BIN/bb-crashcheck" --print-profile xfs | tail -n1)" = "xfs_repair -n -P -o bhash={bhash} -o phase2_threads=1 {dev}" ]
echo OK
