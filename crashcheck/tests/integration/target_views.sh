#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reflink views of a --target image live in a private directory beside it,
# on the image's own filesystem:
#   1. a run leaves the target's directory as it found it: files of the
#      user's named like views (view-0.img) or like the reflink probe are
#      untouched, and no view, directory or loop device is left;
#   2. a run killed (SIGKILL) in the middle leaves its directory of views
#      and their loop devices beside the target; the next run with a target
#      there removes them and says so;
#   3. --view reflink with a target on a filesystem without reflink is an
#      error naming the target, and leaves nothing beside it.
# Needs root (loop devices, an XFS mount).
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}"
work=$(mktemp -d /dev/shm/checker-target.XXXXXX)
mnt=$work/mnt
killed=
cleanup() {
	local rc=$?
	set +e
	[ -n "$killed" ] && kill -KILL "$killed" 2>/dev/null
	local f d
	for f in /sys/block/loop*/loop/backing_file; do
		grep -q "^$mnt/" "$f" 2>/dev/null || continue
		d=${f#/sys/block/}
		echo "write back" >"/sys/block/${d%%/*}/queue/write_cache"
		losetup -d "/dev/${d%%/*}"
	done
	grep -o " $mnt/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount "$m" || umount -l "$m"; done
	mountpoint -q "$mnt" && umount "$mnt"
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT

# A reflink XFS on a loop device (autoclear: it goes with the unmount).
truncate -s 512M "$work/fs.img"
mkfs.xfs -q -m reflink=1 "$work/fs.img"
mkdir "$mnt"
mount -o loop "$work/fs.img" "$mnt"

# The user's files, and the target: an image of zeroes.
echo "the user's own view-0.img" >"$mnt/view-0.img"
echo "the user's own probe name" >"$mnt/.reflink-probe-a"
truncate -s 64M "$mnt/target.img"
mine=$(cd "$mnt" && sha256sum view-0.img .reflink-probe-a)
listing() { (cd "$mnt" && ls -A); }
before=$(listing)

# 200 FUA points.
for i in $(seq 0 199); do echo "write $((i * 8)) 8 $((i % 250 + 1)) fua"; done | "$LOG_BUILDER" --out "$work/log"
run() { "$BB_BIN/bb-crashcheck" --log "$work/log" --target "$mnt/target.img" --workdir "$work" --no-progress "$@"; }

# no_loops_left — no loop device is on a file under $mnt. A device whose
# detach the run asked for goes when its last opener lets go: another
# program scanning block devices (blkid, a btrfs check of a test beside
# this one) may hold it for a moment, so wait up to two seconds.
no_loops_left() {
	for _ in $(seq 40); do
		grep -ql "^$mnt/" /sys/block/loop*/loop/backing_file 2>/dev/null || return 0
		sleep 0.05
	done
	grep -l "^$mnt/" /sys/block/loop*/loop/backing_file
	echo "loop devices left"
	exit 1
}

echo "== views beside the target, in a directory of their own"
# The check fails a state whose view is anywhere else.
check="case {image} in $mnt/bb-crashcheck.*/view-*.img) test -b {dev} ;; *) echo 'view at {image}'; exit 1 ;; esac"
run --view reflink --check-cmd "$check" --json >"$work/run.json"
grep -o '"summary":{[^}]*}' "$work/run.json"
grep -q '"view":"reflink"' "$work/run.json"
grep -q '"failed":0,' "$work/run.json" || { echo "a view was not where it belongs"; exit 1; }
[ "$(cd "$mnt" && sha256sum view-0.img .reflink-probe-a)" = "$mine" ] || { echo "the user's files changed"; exit 1; }
[ "$(listing)" = "$before" ] || { echo "the target's directory changed:"; listing; exit 1; }
no_loops_left

echo "== SIGKILL: the next run removes the views the killed one left"
"$BB_BIN/bb-crashcheck" --log "$work/log" --target "$mnt/target.img" --workdir "$work" --no-progress \
	--view reflink --check-cmd 'sleep 0.05; test -b {dev}' >"$work/killed.txt" 2>&1 &
killed=$!
# Killed once a view has a loop device: before that there is nothing of
# the run's in the kernel to leave behind (a kill right after the view's
# file appeared once found no loop device yet).
for _ in $(seq 200); do
	ls "$mnt"/bb-crashcheck.*/view-*.img >/dev/null 2>&1 &&
		grep -qs "^$mnt/bb-crashcheck\." /sys/block/loop*/loop/backing_file && break
	sleep 0.05
done
kill -KILL "$killed"
wait "$killed" || true
dir=$(ls -d "$mnt"/bb-crashcheck.*) || { echo "the killed run left no views?"; cat "$work/killed.txt"; exit 1; }
loops=$({ grep -l "^$dir/" /sys/block/loop*/loop/backing_file 2>/dev/null || true; } | wc -l)
echo "left: $dir, $(find "$dir" -name 'view-*' | wc -l) views, $loops loop devices"
[ "$loops" -gt 0 ] || { echo "the killed run left no loop device?"; exit 1; }
killed=
run --view reflink --check-cmd 'true' --end-entry 3 >"$work/next.txt"
grep -o "removed what a run that died .*" "$work/next.txt" || { echo "the next run did not say"; cat "$work/next.txt"; exit 1; }
grep -q "left in $dir: 0 mounts, $loops loop devices" "$work/next.txt"
[ "$(listing)" = "$before" ] || { echo "the target's directory after the next run:"; listing; exit 1; }
no_loops_left
[ "$(cd "$mnt" && sha256sum view-0.img .reflink-probe-a)" = "$mine" ] || { echo "the user's files changed"; exit 1; }

echo "== --view reflink on a filesystem without reflink"
truncate -s 64M "$work/tmpfs-target.img"
rc=0
"$BB_BIN/bb-crashcheck" --log "$work/log" --target "$work/tmpfs-target.img" --view reflink --check-cmd true \
	--workdir "$work" >"$work/noreflink.txt" 2>&1 || rc=$?
cat "$work/noreflink.txt"
[ "$rc" != 0 ] || { echo "exit status 0 without reflink"; exit 1; }
grep -q -- "--view reflink: $work/tmpfs-target.img is not on a filesystem with reflink" "$work/noreflink.txt"
if ls -d "$work"/bb-crashcheck.* 2>/dev/null; then echo "left a directory"; exit 1; fi
echo OK
