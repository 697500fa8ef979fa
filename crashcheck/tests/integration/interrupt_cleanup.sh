#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An interrupted run cleans up after itself, and a run that was killed
# before it could is cleaned up after by the next run in the same place:
#   1. SIGINT in the middle of a run with reflink views (an XFS scratch on a
#      zram device where the kernel has zram, else on a loop device; a loop
#      device per view): exit status 130, a partial report marked
#      "interrupted" (JSON too), and no work directory, mount, loop device,
#      scratch image or zram device left behind. The views' loop devices
#      are write-through while attached (the check requires it of buffered
#      ones), and set back to the kernel's default before they are detached;
#   2. SIGKILL in the middle of such a run leaves all of those, devices
#      still write-through; the next run with the same --workdir removes
#      them as it starts, devices set back to write-back, and says so in
#      its report;
#   3. the work directory of a run that is still going is left alone.
# Only the devices these runs used, once detached, are judged. The
# judgement reads two things of a device (attached? write-through?), and a
# device freed here is the next one any other process's attach takes: the
# test runs alone (ctest RUN_SERIAL), as a test beside it could attach one
# and make it write-through between the two reads.
# Needs root (loop devices, mounts).
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}"
work=$(mktemp -d /dev/shm/checker-intr.XXXXXX)
pids=()
zrams=()
cleanup() {
	local rc=$?
	set +e
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	# Whatever a failed assertion left, best effort, in the order that
	# works: views' loop devices, then mounts, then the scratch's loop.
	local f d p
	for f in /sys/block/loop*/loop/backing_file; do
		grep -q "^$work/" "$f" 2>/dev/null || continue
		d=${f#/sys/block/}
		echo "write back" >"/sys/block/${d%%/*}/queue/write_cache"
		losetup -d "/dev/${d%%/*}" || true
	done
	grep -o " $work/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount "$m" || umount -l "$m" || true; done
	for p in "${pids[@]}"; do
		for f in /sys/block/loop*/loop/backing_file; do
			grep -q "bb-crashcheck-scratch-$p\.xfs" "$f" 2>/dev/null || continue
			d=${f#/sys/block/}
			losetup -d "/dev/${d%%/*}" || true
		done
		rm -f "/dev/shm/bb-crashcheck-scratch-$p.xfs"
	done
	for z in "${zrams[@]}"; do
		[ -e "/sys/block/zram$z" ] && echo "$z" >/sys/class/zram-control/hot_remove
	done
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT

# devices_of DIR — the loop devices (loopN) whose backing files are in DIR.
devices_of() {
	local f
	for f in /sys/block/loop*/loop/backing_file; do
		grep -q "^$1/" "$f" 2>/dev/null || continue
		f=${f#/sys/block/}
		echo "${f%%/*}"
	done
}

# left_write_through DEVICE... — those of the devices that are detached but
# still write-through: a run must set a device back to the kernel's default
# before it lets it go. (A device attached again by then is some other
# process's, with a cache mode of its own: only detached devices count.)
left_write_through() {
	local d
	for d in "$@"; do
		[ -e "/sys/block/$d/loop/backing_file" ] && continue
		grep -q "write through" "/sys/block/$d/queue/write_cache" 2>/dev/null && echo "$d"
	done
	return 0
}

# 400 FUA points, each checked for 50 ms on a loop device of its view.
for i in $(seq 0 399); do echo "write $((i * 8)) 8 $((i % 250 + 1)) fua"; done | "$LOG_BUILDER" --out "$work/log"
# The check also requires its view's device, if it is buffered, to be
# write-through (to ignore flushes: nothing of a view must last).
# shellcheck disable=SC2016 # expanded by bb-crashcheck's sh -c
check='sleep 0.05; test -b {dev} && q=/sys/block/$(basename {dev}) &&
	{ grep -q 1 $q/loop/dio || grep -q "write through" $q/queue/write_cache; }'

# leftovers PID DIR [ZRAM] — prints what the run with this pid, work
# directory and zram device number (if its scratch is on one) has on the
# machine.
leftovers() {
	ls -d "$2" 2>/dev/null || true
	grep -o " $2/[^ ]*" /proc/self/mounts || true
	grep -l "^$2/\|bb-crashcheck-scratch-$1\.xfs" /sys/block/loop*/loop/backing_file 2>/dev/null || true
	ls "/dev/shm/bb-crashcheck-scratch-$1.xfs" 2>/dev/null || true
	if [ -n "${3:-}" ] && [ -e "/sys/block/zram$3" ]; then echo "/dev/zram$3"; fi
}

# start NAME — starts a run in the background; sets $pid, $run_dir (its
# work directory) and $run_zram (its scratch's zram device number, or "")
# once its views exist.
start() {
	"$BB_BIN/bb-crashcheck" --log "$work/log" --check-cmd "$check" --view reflink --workdir "$work" \
		--no-progress --json >"$work/$1.json" 2>"$work/$1.err" &
	pid=$!
	pids+=("$pid")
	local owner
	for _ in $(seq 200); do
		owner=$(grep -l "^$pid " "$work"/bb-crashcheck.*/owner 2>/dev/null || true)
		run_dir=${owner%/owner}
		if [ -n "$owner" ] && ls "$run_dir"/scratch/view-* >/dev/null 2>&1; then
			run_zram=$(awk '$1 == "zram" { print $2 }' "$owner")
			[ -z "$run_zram" ] || zrams+=("$run_zram")
			return
		fi
		sleep 0.05
	done
	echo "$1: no view appeared"; cat "$work/$1.err"; exit 1
}

# short_run NAME — a run that uses no loop device (copy views, a check
# without {dev}) and ends at once; its report goes to $work/NAME.txt.
short_run() {
	"$BB_BIN/bb-crashcheck" --log "$work/log" --check-cmd 'true' --view copy --end-entry 3 --workdir "$work" \
		>"$work/$1.txt"
}

echo "== SIGINT: a partial report and nothing left behind"
start int
sleep 0.5
used=$(devices_of "$run_dir")
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || { echo "exit status $rc after SIGINT, want 130"; cat "$work/int.err"; exit 1; }
grep -q 'SIGINT: finishing the running checks and cleaning up' "$work/int.err"
grep -q '"interrupted":true' "$work/int.json"
states=$(grep -o '"states":[0-9]*' "$work/int.json" | cut -d: -f2)
points=$(grep -o '"points":[0-9]*' "$work/int.json" | cut -d: -f2)
echo "checked $states of $points points before the signal"
[ "$states" -gt 0 ] && [ "$states" -lt "$points" ]
grep -q '"failed":0,' "$work/int.json" || { echo "a view's buffered loop device was not write-through"; exit 1; }
left=$(leftovers "$pid" "$run_dir" "$run_zram")
[ -z "$left" ] || { echo "left behind after SIGINT:"; echo "$left"; exit 1; }
# shellcheck disable=SC2086 # a list of device names
wt=$(left_write_through $used)
[ -z "$wt" ] || { echo "detached but still write-through after SIGINT: $wt"; exit 1; }

echo "== SIGKILL: the next run removes what the killed one left"
start killed
killed=$pid
killed_dir=$run_dir
killed_zram=$run_zram
killed_used=$(devices_of "$killed_dir")
kill -KILL "$killed"
wait "$killed" || true
left=$(leftovers "$killed" "$killed_dir" "$killed_zram")
echo "$left"
grep -q "bb-crashcheck\." <<<"$left" || { echo "the killed run left no work directory?"; exit 1; }
grep -q "/scratch" <<<"$left" || { echo "the killed run left no scratch mount?"; exit 1; }
grep -q "backing_file" <<<"$left" || { echo "the killed run left no loop device?"; exit 1; }
grep -q "bb-crashcheck-scratch-$killed.xfs\|^/dev/zram" <<<"$left" ||
	{ echo "the killed run left no scratch image or zram device?"; exit 1; }
# Its views' buffered loop devices are still write-through: whoever cleans up
# must set them back.
n=0
for d in $killed_used; do grep -q "write through" "/sys/block/$d/queue/write_cache" && n=$((n + 1)); done
echo "$n of the killed run's loop devices are write-through"
# The next run removes them as it starts, and says so in its report. It
# uses no loop device itself, so the killed run's devices stay free and show
# how it left them.
short_run next
grep -o "removed what a run that died (pid $killed).*" "$work/next.txt" ||
	{ echo "the next run's report does not say what it removed"; cat "$work/next.txt"; exit 1; }
left=$(leftovers "$killed" "$killed_dir" "$killed_zram")
[ -z "$left" ] || { echo "still there once the next run started:"; echo "$left"; exit 1; }
# shellcheck disable=SC2086 # a list of device names
wt=$(left_write_through $killed_used)
[ -z "$wt" ] || { echo "the killed run's devices, detached but still write-through: $wt"; exit 1; }

echo "== a run that is still going keeps its work directory"
start live
live=$pid
live_dir=$run_dir
live_zram=$run_zram
short_run third
if grep -q "removed what a run" "$work/third.txt"; then
	echo "the third run removed something:"; cat "$work/third.txt"; exit 1
fi
[ -d "$live_dir" ] || { echo "the live run's work directory was removed"; exit 1; }
live_used=$(devices_of "$live_dir")
kill -INT "$live"
rc=0
wait "$live" || rc=$?
[ "$rc" = 130 ] || { echo "exit status $rc after SIGINT, want 130"; cat "$work/live.err"; exit 1; }
left=$(leftovers "$live" "$live_dir" "$live_zram")
[ -z "$left" ] || { echo "left behind by the live run:"; echo "$left"; exit 1; }
# shellcheck disable=SC2086 # a list of device names
wt=$(left_write_through $live_used)
[ -z "$wt" ] || { echo "detached but still write-through after SIGINT: $wt"; exit 1; }
echo OK
