#!/usr/bin/env bash
# compare_slow_loop.sh — bb-crashcheck must give the same verdict as the
# xfstests-style loop (examples/generic482-loop.sh: replay from entry 0 per
# FUA, mount, umount, fsck) at every FUA of LOG, including the same first
# failing entry; then the same on a copy of LOG with one metadata write
# corrupted (a write after 'mkfs' that no later entry overwrites, filled with
# text), which must make at least one point fail.
#
# Usage: compare_slow_loop.sh LOG FS [SIZE]
# Environment: BB_BIN (directory with bb-crashcheck and replay-log), REPO,
# WORK (scratch parent, default /dev/shm). Needs root (loop devices, mounts).
set -euo pipefail

log=${1:?usage: compare_slow_loop.sh LOG FS [SIZE]}
fs=${2:?}
size=${3:-}
REPO=${REPO:-$(cd "$(dirname "$0")/../../../.." && pwd)}
BB_BIN=${BB_BIN:?set BB_BIN to the directory of bb-crashcheck and replay-log}
export REPLAY_LOG=$BB_BIN/replay-log
work=$(mktemp -d "${WORK:-/dev/shm}/compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
size_args=()
[ -n "$size" ] && size_args=(--size "$size")

# verdicts_checker LOG — "<entry> pass|fail" per FUA, from bb-crashcheck --json.
verdicts_checker() {
	"$BB_BIN/bb-crashcheck" --log "$1" --fs "$fs" "${size_args[@]}" --json --keep-dir "$work/keep" \
		--workdir "${WORK:-/dev/shm}" >"$work/checker.json" || [ $? = 1 ]
	grep -o '"entry":[0-9]*,"kind":"[^"]*","state":"prefix","dropped":\[\],"torn":null,"verdict":"[a-z]*"' \
		<(sed 's/\],"summary".*//' "$work/checker.json") | sed 's/"entry":\([0-9]*\),.*"verdict":"\([a-z]*\)"/\1 \2/'
}

# compare LOG LABEL — runs both, prints the verdicts side by side, fails on a difference.
compare() {
	local t0 t1 t2
	t0=$(date +%s.%N)
	verdicts_checker "$1" >"$work/fast"
	t1=$(date +%s.%N)
	"$REPO/examples/generic482-loop.sh" "$1" "$fs" $size >"$work/slow"
	t2=$(date +%s.%N)
	printf '%s: %d points, checker %.2f s, xfstests-style loop %.2f s\n' "$2" "$(wc -l <"$work/slow")" \
		"$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
	[ -s "$work/slow" ] || { echo "$2: the loop checked no points"; exit 1; }
	if ! diff -u "$work/slow" "$work/fast"; then
		echo "$2: verdicts differ (- loop, + checker)"
		exit 1
	fi
	echo "$2: first failing entry: $(awk '$2 == "fail" { print $1; exit }' "$work/fast" | grep . || echo none) (both)"
}

compare "$log" "$fs log"
grep -q fail "$work/fast" && { echo "the recorded log already fails a check"; exit 1; }

# Candidates: METADATA writes after the mkfs mark that no later entry
# overwrites, latest first (so the corruption stays on the disk).
dump=$work/dump
"$REPLAY_LOG" --log "$log" --dump >"$dump"
mkfs=$("$REPLAY_LOG" --log "$log" --find --end-mark mkfs | cut -d@ -f1)
candidates=$(awk -v mkfs="$mkfs" '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
	f["nr_sectors"] > 0 && f["flags"] !~ /DISCARD/ {
		n = ++count; e[n] = f["entry"]; s[n] = f["sector"]; len[n] = f["nr_sectors"]; off[n] = f["offset"]
		meta[n] = (f["flags"] ~ /METADATA/ && f["entry"] > mkfs)
	}
	END {
		for (n = count; n >= 1; n--) {
			over = 0
			for (m = n + 1; m <= count; m++) if (s[m] < s[n] + len[n] && s[m] + len[m] > s[n]) { over = 1; break }
			if (meta[n] && !over && printed++ < 6) print e[n], off[n], len[n]
		}
	}' "$dump")
[ -n "$candidates" ] || { echo "no metadata write to corrupt"; exit 1; }
sectorsize=$("$REPLAY_LOG" --log "$log" --stats | sed -n 's/^sectorsize: \([0-9]*\).*/\1/p')
bad=$work/corrupt.img
while read -r entry offset sectors; do
	cp --sparse=always "$log" "$bad"
	head -c $((sectors * sectorsize)) < <(yes "corrupted by compare_slow_loop.sh") |
		dd of="$bad" bs=1 seek=$((offset + sectorsize)) conv=notrunc status=none
	if ! "$BB_BIN/bb-crashcheck" --log "$bad" --fs "$fs" "${size_args[@]}" --stop-at-first-failure -q \
		--keep-dir "" --workdir "${WORK:-/dev/shm}" >/dev/null; then
		echo "corrupting metadata entry $entry ($sectors sectors) makes a check fail"
		compare "$bad" "$fs log with entry $entry corrupted"
		grep -q fail "$work/fast" || { echo "no failure on the corrupted log"; exit 1; }
		exit 0
	fi
	echo "corrupting entry $entry changes no verdict; trying the next candidate"
done <<<"$candidates"
echo "no corrupted metadata write made a check fail"
exit 1
