#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shards: a log of real ext4 states (made on the host, as in
# host_ext4_states.sh) with one metadata write corrupted, so that some
# points fail, checked once and as N shards run side by side; `merge` of
# the shard reports must give the single run's states and verdicts point
# for point, in the text, JSON and JUnit reports and the exit status, also
# with beyond-prefix states and with --stop-at-first-failure; and merge
# must refuse a missing or repeated shard, a shard of another log, of other
# options, a report made without --shard, and a file that is no report.
# Needs root.
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}" "${REPO:?}"
# shellcheck source=fs_states.sh
. "$(dirname "$0")/fs_states.sh"
fs_states_begin checker-shards
cc=$BB_BIN/bb-crashcheck
truncate -s 64M "$img"
mkfs.ext4 -q -F -b 4096 "$img"
cp --sparse=always "$img" "$work/s0.img"
dev=$(losetup -f --show "$img")
mount "$dev" "$mnt"
for s in 1 2 3 4 5 6; do
	for i in 1 2 3; do head -c $((s * i * 7000)) /dev/urandom >"$mnt/f$s-$i"; done
	[ "$s" -gt 2 ] && rm "$mnt/f$((s - 2))-1"
	mkdir -p "$mnt/d$s" && mv "$mnt/f$s-2" "$mnt/d$s/"
	sync
	cp --sparse=always "$img" "$work/s$s.img"
done
umount "$mnt"
losetup -d "$dev"
dev=
log=$work/log.img
fs_states_log "$log" 64 6

# A copy with one metadata write corrupted that makes a check fail.
export REPLAY_LOG=$BB_BIN/replay-log
bad=$work/bad.img
found=
for skip in 0 1 2 3 4 5 6 7; do
	"$REPO/examples/corrupt-metadata-write.sh" "$log" "$bad" "$skip" >/dev/null || break
	if ! "$cc" --log "$bad" --fs ext4 --points fua,flush -q --keep-dir "" --workdir "$work" >/dev/null; then
		found=1
		break
	fi
done
[ -n "$found" ] || { echo "no corrupted metadata write made a check fail"; exit 1; }

# verdicts REPORT.json — "<entry> <kind> <state> <verdict>" per state.
verdicts() {
	python3 -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["entry"], r["kind"], r["state"], r["verdict"])' "$1"
}
# untimed FILE — a text report or JUnit file without its times and what
# tells of the run's own make-up: loop devices, views, jobs, the merge's
# note, and whether the replay had got past the first failure when it was
# found (--stop-at-first-failure: "stopped" when states after it were
# left unchecked, which depends on timing).
untimed() {
	sed -E -e 's/ +[0-9]+ ms//; s/\([0-9.]+ ms\)//; s/time="[0-9.]+"//; s|/dev/loop[0-9]+|/dev/loopN|g' \
		-e 's/replay\+views .*//; /^note: merged from/d; s/ \(stopped at the first failure\)//' \
		-e 's/check ([^,]*), [^,]* views, [0-9]+ jobs;/check \1;/' "$1"
}

# compare NAME N OPTIONS... — one run and N shards side by side, merged.
compare() {
	local name=$1 n=$2 single_rc=0 merged_rc=0 k pids=()
	shift 2
	"$cc" --log "$bad" "$@" --json --keep-dir "" --workdir "$work" >"$work/$name.json" || single_rc=$?
	"$cc" --log "$bad" "$@" --keep-dir "" --workdir "$work" --no-progress >"$work/$name.txt" || true
	"$cc" --log "$bad" "$@" --keep-dir "" --workdir "$work" --junit "$work/$name.xml" >/dev/null || true
	for k in $(seq 1 "$n"); do
		"$cc" --log "$bad" "$@" --shard "$k/$n" --json --keep-dir "" --workdir "$work" \
			>"$work/$name-shard-$k.json" &
		pids+=($!)
	done
	for k in "${pids[@]}"; do wait "$k" || [ $? = 1 ] || { echo "$name: a shard exited $?"; exit 1; }; done
	"$cc" merge --json "$work/$name"-shard-*.json >"$work/$name-merged.json" || merged_rc=$?
	"$cc" merge --junit "$work/$name-merged.xml" "$work/$name"-shard-*.json >"$work/$name-merged.txt" || true
	[ "$single_rc" = "$merged_rc" ] || { echo "$name: exit status $single_rc of one run, $merged_rc merged"; exit 1; }
	verdicts "$work/$name.json" >"$work/$name.v"
	verdicts "$work/$name-merged.json" >"$work/$name-merged.v"
	[ -s "$work/$name.v" ] || { echo "$name: no states checked"; exit 1; }
	diff -u "$work/$name.v" "$work/$name-merged.v" || { echo "$name: merged verdicts differ (+ merged)"; exit 1; }
	diff -u <(untimed "$work/$name.txt") <(untimed "$work/$name-merged.txt") ||
		{ echo "$name: merged text report differs (+ merged)"; exit 1; }
	diff -u <(untimed "$work/$name.xml") <(untimed "$work/$name-merged.xml") ||
		{ echo "$name: merged JUnit report differs (+ merged)"; exit 1; }
	echo "$name: $(wc -l <"$work/$name.v") states, $(grep -c ' fail$' "$work/$name.v" || true) failing," \
		"exit $single_rc; $n shards merged: the same"
}

compare points 3 --fs ext4 --points fua,flush
# A check that fails in the middle of the log: file f3-1 exists in states 3
# and 4 only; with the corrupted last write, fail-pass-fail across shards.
compare middle 4 --check-cmd "debugfs -R 'stat /f3-1' {dev} 2>&1 | grep -q 'File not found'" --points fua,flush
grep -q ' pass$' "$work/middle.v" || { echo "no point passed: the comparison proves little"; exit 1; }
[ "$(uniq -c < <(awk '{print $NF}' "$work/middle.v") | wc -l)" -ge 3 ] ||
	{ echo "the verdicts do not change twice along the log:"; cat "$work/middle.v"; exit 1; }
compare more-shards-than-points 40 --fs ext4 --points fua,flush
compare beyond 2 --fs ext4 --points fua --drop 1 --max-states-per-point 3 --check-duplicates
compare stop 3 --check-cmd "debugfs -R 'stat /f3-1' {dev} 2>&1 | grep -q 'File not found'" --points fua,flush \
	--stop-at-first-failure

echo "== examples/shards/xargs.sh gives one run's verdicts"
rc=0
BB_CRASHCHECK=$cc "$REPO/examples/shards/xargs.sh" "$bad" ext4 3 "$work/xargs" >"$work/xargs.txt" || rc=$?
"$cc" --log "$bad" --fs ext4 --json --keep-dir "" --workdir "$work" >"$work/default.json" || true
[ "$rc" = 1 ] || { echo "xargs.sh exited $rc, want 1 (the corrupted write fails)"; cat "$work/xargs.txt"; exit 1; }
"$cc" merge --json "$work/xargs"/shard-*.json >"$work/xargs.json" || true
diff -u <(verdicts "$work/default.json") <(verdicts "$work/xargs.json") ||
	{ echo "xargs.sh: verdicts differ from one run's (+ xargs.sh)"; exit 1; }
grep -q '<testsuite ' "$work/xargs/results.xml" || { echo "xargs.sh wrote no JUnit report"; exit 1; }
echo "xargs.sh: the same $(verdicts "$work/default.json" | wc -l) verdicts"

echo "== merge refuses what is not one run's shards"
refused() { # refused WHAT PATTERN REPORT...
	local what=$1 pattern=$2 rc=0
	shift 2
	"$cc" merge "$@" >"$work/refused.out" 2>&1 || rc=$?
	[ "$rc" = 2 ] || { echo "merge of $what: exit $rc, want 2"; cat "$work/refused.out"; exit 1; }
	grep -q "$pattern" "$work/refused.out" || { echo "merge of $what: no '$pattern' in:"; cat "$work/refused.out"; exit 1; }
	echo "$what: $(cat "$work/refused.out")"
}
refused "a missing shard" "shard 2/3 missing" "$work/points-shard-1.json" "$work/points-shard-3.json"
refused "a repeated shard" "given twice" "$work"/points-shard-{1,2,3,2}.json
"$cc" --log "$log" --fs ext4 --points fua,flush --shard 2/3 --json --keep-dir "" --workdir "$work" >"$work/other-log.json"
refused "another log's shard" "differ in log" "$work"/points-shard-{1,3}.json "$work/other-log.json"
"$cc" --log "$bad" --fs ext4 --points fua --shard 2/3 --json --keep-dir "" --workdir "$work" >"$work/other-opts.json" || true
refused "a shard of other options" "differ in options" "$work"/points-shard-{1,3}.json "$work/other-opts.json"
refused "a report made without --shard" "not a shard report" "$work/points.json"
echo '{"results": [' >"$work/garbage.json"
refused "a truncated file" "not a bb-crashcheck JSON report: bad JSON at byte" "$work/garbage.json"
refused "nothing" "name the shard reports" 
sed 's/"format":1/"format":99/' "$work/points-shard-1.json" >"$work/future.json"
refused "a report of a later format" "report format 99" "$work/future.json" "$work"/points-shard-{2,3}.json
if "$cc" --log "$bad" --fs ext4 --shard 4/3 >"$work/bad-shard.out" 2>&1; then
	echo "--shard 4/3 accepted"; exit 1
fi
grep -q "K must be from 1 to N" "$work/bad-shard.out" || { cat "$work/bad-shard.out"; exit 1; }
echo OK
