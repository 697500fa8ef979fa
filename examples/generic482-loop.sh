#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# generic482-loop.sh — the xfstests generic/482 way of checking every FUA,
# with our replay-log: for each FUA after the 'mkfs' mark, replay the log
# FROM ENTRY 0 onto a zeroed image, mount it (journal recovery), unmount,
# and run a read-only fsck. Quadratic in the log; bb-crashcheck does the
# same checks with one replay (see docs/checking.md). Kept as the slow
# reference: tests and bench/crashcheck compare the two verdict by verdict.
#
# Usage: examples/generic482-loop.sh LOG FS [SIZE]
#   FS    ext4, xfs or btrfs (the same steps as bb-crashcheck --fs FS)
#   SIZE  image size in bytes (default: the log's highest written byte)
# Environment: REPLAY_LOG (default: build/bin/replay-log), WORK (scratch dir).
# Output: one line per point, "<entry> pass|fail", in log order.
# Exit status: 0 (verdicts are in the output), 2 on a set-up error. Needs root.
set -euo pipefail

log=${1:?usage: generic482-loop.sh LOG FS [SIZE]}
fs=${2:?usage: generic482-loop.sh LOG FS [SIZE]}
size=${3:-}
repo=$(cd "$(dirname "$0")/.." && pwd)
REPLAY_LOG=${REPLAY_LOG:-$repo/build/bin/replay-log}
work=$(mktemp -d "${WORK:-/dev/shm}/generic482.XXXXXX")
img=$work/scratch.img
mnt=$work/mnt
mkdir -p "$mnt"
dev=
cleanup() {
	mountpoint -q "$mnt" && umount "$mnt"
	[ -n "$dev" ] && losetup -d "$dev"
	rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$size" ]; then
	size=$("$REPLAY_LOG" --log "$log" --stats | sed -n 's/.*sectors touched: .*(bytes [0-9]*-\([0-9]*\)).*/\1/p')
fi

# check — the steps of bb-crashcheck's profile, on $dev.
check() {
	case $fs in
	ext4) mount -t ext4 "$dev" "$mnt" && umount "$mnt" && e2fsck -fn "$dev" ;;
	xfs) mount -t xfs -o nouuid "$dev" "$mnt" && umount "$mnt" && xfs_repair -n "$dev" ;;
	btrfs) btrfs check --readonly "$dev" && mount -t btrfs "$dev" "$mnt" && umount "$mnt" &&
		btrfs check --readonly "$dev" ;;
	*) echo "generic482-loop: unknown fs $fs" >&2; exit 2 ;;
	esac
}

entry() { cut -d@ -f1; }
prev=$("$REPLAY_LOG" --log "$log" --find --end-mark mkfs | entry)
last=$(( $("$REPLAY_LOG" --log "$log" --num-entries) - 1 ))
while [ "$prev" -le "$last" ]; do
	cur=$("$REPLAY_LOG" --log "$log" --find --next-fua --start-entry "$prev" 2>/dev/null | entry) || break
	[ -n "$cur" ] || break
	# A zeroed device, as dm-thin's discard gives xfstests.
	rm -f "$img"
	truncate -s "$size" "$img"
	"$REPLAY_LOG" --log "$log" --replay "$img" --limit $((cur + 1))
	dev=$(losetup -f --show "$img")
	if check >"$work/check.log" 2>&1; then
		echo "$cur pass"
	else
		mountpoint -q "$mnt" && umount "$mnt"
		echo "$cur fail"
	fi
	losetup -d "$dev"
	dev=
	prev=$((cur + 1))
done
