#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
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

# calc EXPR — floating-point arithmetic (awk: no bc needed).
calc() { awk "BEGIN { print $1 }"; }

# explain_difference LOG — for each entry where the verdicts differ: what the
# checker's check printed, and the verdict of the checker run again on that
# point alone (does it reproduce?). The checker's report and kept images go
# to $SCENARIO_OUT/compare-evidence when the VM runner gives one.
explain_difference() {
	local e r
	for e in $(diff "$work/slow" "$work/fast" | sed -n 's/^> \([0-9]*\) .*/\1/p'); do
		r=$(sed 's/},{"entry"/}\n{"entry"/g' "$work/checker.json" | grep "^{\"entry\":$e," || true)
		echo "-- the checker's result at entry $e: ${r%%,\"output\"*}, its output's end:"
		printf '%s\n' "${r//\\n/$'\n'}" | tail -n 12
		echo "-- the checker again, on entry $e alone:"
		"$BB_BIN/bb-crashcheck" --log "$1" --fs "$fs" "${size_args[@]}" --points "$e" --keep-dir "" \
			--workdir "${WORK:-/dev/shm}" -q | tail -n 2 || true
	done
	if [ -n "${SCENARIO_OUT:-}" ]; then
		mkdir -p "$SCENARIO_OUT/compare-evidence"
		cp -r "$work/checker.json" "$work/slow" "$work/fast" "$SCENARIO_OUT/compare-evidence/"
		[ -d "$work/keep" ] && cp -r "$work/keep" "$SCENARIO_OUT/compare-evidence/"
		echo "evidence kept in $SCENARIO_OUT/compare-evidence"
	fi
	return 0
}

# compare LOG LABEL — runs both, prints the verdicts side by side, fails on a difference.
compare() {
	local t0 t1 t2
	t0=$(date +%s.%N)
	verdicts_checker "$1" >"$work/fast"
	t1=$(date +%s.%N)
	"$REPO/examples/generic482-loop.sh" "$1" "$fs" ${size:+"$size"} >"$work/slow"
	t2=$(date +%s.%N)
	printf '%s: %d points, checker %.2f s, xfstests-style loop %.2f s\n' "$2" "$(wc -l <"$work/slow")" \
		"$(calc "$t1 - $t0")" "$(calc "$t2 - $t1")"
	[ -s "$work/slow" ] || { echo "$2: the loop checked no points"; exit 1; }
	if ! diff -u "$work/slow" "$work/fast"; then
		explain_difference "$1"
		echo "$2: verdicts differ (- loop, + checker)"
		exit 1
	fi
	echo "$2: first failing entry: $(awk '$2 == "fail" { print $1; exit }' "$work/fast" | grep . || echo none) (both)"
}

compare "$log" "$fs log"
grep -q fail "$work/fast" && { echo "the recorded log already fails a check"; exit 1; }

# Corrupt the last metadata write that stays on the disk; if no check
# notices, the one before it, and so on.
bad=$work/corrupt.img
for skip in 0 1 2 3 4 5; do
	picked=$("$REPO/examples/corrupt-metadata-write.sh" "$log" "$bad" "$skip") || break
	read -r entry sectors <<<"$picked"
	if ! "$BB_BIN/bb-crashcheck" --log "$bad" --fs "$fs" "${size_args[@]}" --stop-at-first-failure -q \
		--keep-dir "" --workdir "${WORK:-/dev/shm}" >/dev/null; then
		echo "corrupting metadata entry $entry ($sectors sectors) makes a check fail"
		compare "$bad" "$fs log with entry $entry corrupted"
		grep -q fail "$work/fast" || { echo "no failure on the corrupted log"; exit 1; }
		exit 0
	fi
	echo "corrupting entry $entry changes no verdict; trying the next candidate"
done
echo "no corrupted metadata write made a check fail"
exit 1
