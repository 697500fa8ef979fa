#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# compare_group_loop.sh — bb-crashcheck --group must give the same verdict
# as the generic/482-style loop of a group (examples/group-loop.sh: every
# device replayed from entry 0 to each point, mount, umount, fsck) at every
# crash point of the group, and check the same points: each side finds the
# points on its own (the loop from replay-log --dump). Prints the verdicts
# side by side and a count; exits 1 when they differ or there are none.
#
# Usage: compare_group_loop.sh -o DIR [--points fua|fua,flush] FS LOG=SIZE...
#   -o DIR     where the verdicts go: DIR/fast (the checker's), DIR/slow (the
#              loop's), "<global entry> pass|fail" a line, and DIR/checker.json
#   FS, LOG=SIZE, --points as for examples/group-loop.sh: xfs takes the data
#              device's log, then the external log device's; SIZE the
#              device's size in bytes
# Environment: BB_BIN (bb-crashcheck and replay-log), REPO, WORK (scratch
# parent, default /dev/shm). Needs root (loop devices, mounts).
set -euo pipefail
usage="usage: compare_group_loop.sh -o DIR [--points LIST] FS LOG=SIZE..."
[ "${1:-}" = -o ] || { echo "$usage" >&2; exit 2; }
dir=$2
shift 2
points=()
if [ "${1:-}" = --points ]; then
	points=(--points "$2")
	shift 2
fi
fs=${1:?$usage}
shift
REPO=${REPO:-$(cd "$(dirname "$0")/../../.." && pwd)}
BB_BIN=${BB_BIN:?set BB_BIN to the directory of bb-crashcheck and replay-log}
export REPLAY_LOG=$BB_BIN/replay-log
mkdir -p "$dir"

# The checker: device i is named dev<i>; the first device's size for every
# image (the checker takes the larger of it and each log's highest write).
group=()
i=0
for arg; do
	group+=(--group "${arg%=*}=dev$i")
	i=$((i + 1))
done
[ "$fs" = xfs ] && group+=(--xfs-logdev dev1)
t0=$(date +%s.%N)
"$BB_BIN/bb-crashcheck" "${group[@]}" --fs "$fs" "${points[@]}" --size "${1##*=}" --json --keep-dir "" \
	--workdir "${WORK:-/dev/shm}" >"$dir/checker.json" || [ $? = 1 ]
t1=$(date +%s.%N)
grep -o '"entry":[0-9]*,"kind":"[^"]*","state":"prefix","dropped":\[\],"torn":null,"verdict":"[a-z]*"' \
	<(sed 's/\],"summary".*//' "$dir/checker.json") | sed 's/"entry":\([0-9]*\),.*"verdict":"\([a-z]*\)"/\1 \2/' \
	>"$dir/fast"
"$REPO/examples/group-loop.sh" "${points[@]}" "$fs" "$@" >"$dir/slow"
t2=$(date +%s.%N)

echo "== global entry, verdict (checker | loop from entry 0)"
paste "$dir/fast" "$dir/slow"
n=$(wc -l <"$dir/slow")
printf '%s group: %d points (checker %d), %d pass, %d fail; checker %.1f s, loop %.1f s\n' "$fs" "$n" \
	"$(wc -l <"$dir/fast")" "$(grep -c ' pass$' "$dir/slow" || true)" "$(grep -c ' fail$' "$dir/slow" || true)" \
	"$(awk "BEGIN { print $t1 - $t0 }")" "$(awk "BEGIN { print $t2 - $t1 }")"
[ "$n" -gt 0 ] || { echo "the loop found no points"; exit 1; }
diff -u "$dir/slow" "$dir/fast" || { echo "$fs group: verdicts or points differ (- loop, + checker)"; exit 1; }
echo "$fs group: the same verdict at every point"
