#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# group-loop.sh — the generic/482 way (examples/generic482-loop.sh) for a
# recording group: for each crash point of the group's global order, replay
# every device's log FROM ENTRY 0 onto zeroed images (replay-log --group
# ... --limit), attach them, mount (journal recovery), unmount, and run a
# read-only fsck. Quadratic in the log; bb-crashcheck --group does the same
# checks with one replay. Kept as the slow reference: tests compare the two
# verdict by verdict (crashcheck/tests/integration/compare_group_loop.sh).
#
# Usage: examples/group-loop.sh [--points fua|fua,flush] FS LOG=SIZE...
#   FS        xfs (two devices: the data device, then its external log) or
#             btrfs (every device of a multi-device filesystem)
#   LOG=SIZE  each device's log and its image size in bytes, in the order
#             above
#   --points  the entries checked (default fua): the FUA (and FLUSH)
#             entries of any device, in the global order, from the first
#             'mkfs' mark of any device (else entry 0) — bb-crashcheck's
#             defaults, found here from `replay-log --group ... --dump`
# Environment: REPLAY_LOG (default: build/bin/replay-log), WORK (scratch
# parent, default /dev/shm).
# Output: one line per point, "<global entry> pass|fail", in order.
# Exit status: 0 (verdicts are in the output), 2 on a set-up error. Needs root.
set -euo pipefail

points=fua
if [ "${1:-}" = --points ]; then
	points=$2
	shift 2
fi
fs=${1:?usage: group-loop.sh [--points fua|fua,flush] FS LOG=SIZE...}
shift
[ $# -ge 2 ] || { echo "group-loop: give every device as LOG=SIZE (at least two)" >&2; exit 2; }
case $fs in
xfs) [ $# = 2 ] || { echo "group-loop: xfs takes two devices, data and log" >&2; exit 2; } ;;
btrfs) ;;
*) echo "group-loop: unknown fs $fs" >&2; exit 2 ;;
esac
case $points in
fua) flags='FUA' ;;
fua,flush | flush,fua) flags='FUA|FLUSH' ;;
*) echo "group-loop: --points fua or fua,flush" >&2; exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)
REPLAY_LOG=${REPLAY_LOG:-$repo/build/bin/replay-log}
work=$(mktemp -d "${WORK:-/dev/shm}/group-loop.XXXXXX")
mnt=$work/mnt
mkdir -p "$mnt"
logs=() sizes=() imgs=() devs=()
for arg; do
	logs+=("${arg%=*}")
	sizes+=("${arg##*=}")
	imgs+=("$work/dev${#imgs[@]}.img")
done
cleanup() {
	local d
	mountpoint -q "$mnt" && umount "$mnt"
	[ "$fs" = btrfs ] && [ ${#devs[@]} -gt 0 ] && btrfs device scan --forget "${devs[@]}" 2>/dev/null
	for d in "${devs[@]}"; do losetup -d "$d"; done
	devs=()
	rm -rf "$work"
}
trap cleanup EXIT

group=()
for log in "${logs[@]}"; do group+=(--group "$log"); done

# check — the steps of bb-crashcheck's profile, on the attached ${devs[@]}.
check() {
	local d opts
	case $fs in
	xfs) mount -t xfs -o "nouuid,logdev=${devs[1]}" "${devs[0]}" "$mnt" && umount "$mnt" &&
		xfs_repair -n -l "${devs[1]}" "${devs[0]}" ;;
	btrfs)
		opts=
		for d in "${devs[@]}"; do opts=$opts${opts:+,}device=$d; done
		btrfs check --readonly "${devs[0]}" && mount -t btrfs -o "$opts" "${devs[0]}" "$mnt" &&
			umount "$mnt" && btrfs check --readonly "${devs[0]}" ;;
	esac
}

# The points: "position=P ... flags=0x..(NAMES) [mark=...]" lines of the dump.
"$REPLAY_LOG" "${group[@]}" --dump |
	awk -v want="$flags" '
		/^position=/ { p = substr($1, 10) + 0; line[n++] = $0; pos[n - 1] = p
			if (start == "" && index($0, "mark=\"mkfs\"")) start = p }
		END { if (start == "") start = 0
			for (i = 0; i < n; i++) {
				match(line[i], /flags=0x[0-9a-f]*\([^)]*\)/)
				f = substr(line[i], RSTART, RLENGTH)
				if (pos[i] >= start && f ~ "[(|](" want ")[|)]") print pos[i]
			} }' >"$work/points"

while read -r e; do
	args=()
	for i in "${!logs[@]}"; do
		rm -f "${imgs[$i]}"
		truncate -s "${sizes[$i]}" "${imgs[$i]}"
		args+=(--group "${logs[$i]}=${imgs[$i]}")
	done
	"$REPLAY_LOG" --no-progress "${args[@]}" --limit $((e + 1)) >/dev/null
	for img in "${imgs[@]}"; do devs+=("$(losetup -f --show "$img")"); done
	if check >"$work/check.log" 2>&1; then
		echo "$e pass"
	else
		mountpoint -q "$mnt" && umount "$mnt"
		echo "$e fail"
	fi
	[ "$fs" = btrfs ] && { btrfs device scan --forget "${devs[@]}" 2>/dev/null || true; }
	for d in "${devs[@]}"; do losetup -d "$d"; done
	devs=()
done <"$work/points"
