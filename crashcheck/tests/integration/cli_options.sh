#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-crashcheck's command line: --help with examples, usage errors exit 2,
# --print-profile, a user command with placeholders on a synthetic log,
# exit 1 on a failing point, JSON output; bad points, target and --junit
# exit 2 with a message and no output.
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}"
cc=$BB_BIN/bb-crashcheck
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

help=$("$cc" --help)
grep -q '^Examples:' <<<"$help"
grep -q -- '--stop-at-first-failure' <<<"$help"
for bad in "" "--log x" "--log x --fs ext4 --check-cmd true" "--log x --fs ntfs" "--bogus" \
	"--log x --fs ext4 --points fua,nope" "--log $work/missing --fs ext4" \
	"--log x --fs ext4 --skip-duplicates --check-duplicates" "--log x --fs ext4 --jobs 0"; do
	rc=0
	# shellcheck disable=SC2086
	"$cc" $bad >/dev/null 2>"$work/err" || rc=$?
	[ "$rc" = 2 ] || { echo "'$bad' exited $rc, expected 2"; cat "$work/err"; exit 1; }
	grep -q '^bb-crashcheck: ' "$work/err"
done
[ "$("$cc" --print-profile xfs | head -n1)" = "mount -t xfs -o nouuid {dev} {mnt}" ]
[ "$("$cc" --print-profile btrfs | grep -c 'btrfs check --readonly')" = 2 ]

printf 'write 0 8 0x00\nflush\nmark mkfs\nwrite 8 8 0x11 fua\nwrite 16 8 0x22\nflush\nwrite 24 8 0x33 fua\n' |
	"$LOG_BUILDER" --out "$work/log"
out=$("$cc" --log "$work/log" --check-cmd 'test -f {image} && echo entry={entry}' --view copy --workdir "$work" -v)
grep -q 'entry=3' <<<"$out"
grep -q 'entry=6' <<<"$out"
grep -q 'summary: 2 points, 2 states checked: 2 passed' <<<"$out"
rc=0
"$cc" --log "$work/log" --check-cmd '[ {entry} != 6 ]' --view copy --workdir "$work" --keep-dir "$work/keep" \
	--json >"$work/out.json" || rc=$?
[ "$rc" = 1 ]
grep -q '"first_failure":{"result":{"entry":6' "$work/out.json"
[ -f "$work/keep/fail-6.img" ] && [ -f "$work/keep/good-3.img" ]

# Problems with the points, the target or the outputs: exit 2 before any
# check, with a message naming them, and no result header.
bad_run() { # bad_run MESSAGE ARGS...
	local msg=$1 rc=0
	shift
	"$cc" --log "$work/log" --check-cmd true --view copy --workdir "$work" "$@" >"$work/out" 2>"$work/err" || rc=$?
	[ "$rc" = 2 ] || { echo "'$*' exited $rc, expected 2"; cat "$work/err"; exit 1; }
	grep -qF "bb-crashcheck: $msg" "$work/err" || { echo "'$*' said:"; cat "$work/err"; exit 1; }
	[ ! -s "$work/out" ] || { echo "'$*' printed:"; cat "$work/out"; exit 1; }
}
bad_run "the first point, entry 5, is after the last, entry 4" --start-entry 5 --end-entry 4
bad_run "the first point, entry 9, is past the log's last entry, 6" --start-entry 9
bad_run "no mark 'nope' in the log" --end-mark nope
bad_run "--target /dev/null: not an image file or a block device" --target /dev/null
bad_run "cannot write --junit $work/no/such.xml" --junit "$work/no/such.xml"
# No points of the kinds asked for is not an error, but is said.
out=$("$cc" --log "$work/log" --check-cmd true --view copy --workdir "$work" --points flush --start-entry 3 --end-entry 4)
grep -q 'note: no crash point of the kinds asked for in entries 3..4' <<<"$out"
echo OK
