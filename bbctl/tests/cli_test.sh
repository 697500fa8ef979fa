#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# cli_test.sh BBCTL: bbctl's command line on the host (no device-mapper):
# usage errors exit 2 naming what is wrong, `bbctl log` on files.
set -u
bbctl=$1
work=$(mktemp -d /tmp/bbctl-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
expect() {  # expect STATUS TEXT-IN-OUTPUT CMD...
	want=$1 text=$2
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" != "$want" ] || ! printf '%s' "$out" | grep -qF -- "$text"; then
		echo "FAIL: $* -> exit $got (want $want), output:"
		printf '%s\n' "$out" | sed 's/^/  /'
		fails=$((fails + 1))
	fi
}
expect 2 "a command is needed" "$bbctl"
expect 2 'unknown command "frobnicate"' "$bbctl" frobnicate
expect 2 "unrecognised option '--bogus'" "$bbctl" log --bogus
expect 2 "unrecognised option '--bogus'" "$bbctl" events --bogus
expect 0 "Commands:" "$bbctl" --help
expect 0 "--timestamps" "$bbctl" events --help
expect 0 "--strict" "$bbctl" log --help
expect 1 "cannot open $work/none" "$bbctl" log "$work/none"

cat >"$work/dmesg" <<'LINES'
[    1.000000] device-mapper: bb-mirror: 253:0 [CMD:3] message received (seq 3): fail_leg 1
[    1.000100] device-mapper: bb-mirror: 253:0 [STATE:210] leg1( current -> failed ) [message fail_leg] no I/O to it; writes are recorded out of sync
[    1.000200] device-mapper: bb-mirror: 253:0 [CMD:2] message done: 0 (seq 3, 4 ms)
[    1.500000] EXT4-fs (dm-0): mounted filesystem
LINES
expect 0 "leg1: current -> failed [message fail_leg] => leg1=failed" "$bbctl" log "$work/dmesg"
expect 0 '"to":"failed"' "$bbctl" log --json "$work/dmesg"
expect 0 "253:0 bb-mirror" "$bbctl" log --device 253:0 - <"$work/dmesg"
printf '%s\n' '[    2.0] device-mapper: bb-mirror: 253:0 [STATE:299] leg1( a -> b ) [c]' >>"$work/dmesg"
expect 0 "id 299 is not in the catalogue" "$bbctl" log "$work/dmesg"
expect 3 "id 299 is not in the catalogue" "$bbctl" log --strict "$work/dmesg"
printf '%s\n' '{"MESSAGE":"device-mapper: bb-mirror: 253:0 [CMD:1] resume received (seq 4)","_SOURCE_MONOTONIC_TIMESTAMP":"3000000"}' >"$work/journal"
expect 0 "resume (seq 4): received, NEVER DONE" "$bbctl" log "$work/journal"
printf '%s\n' '{"MESSAGE":' >>"$work/journal"
expect 1 "$work/journal: line 2: bad JSON" "$bbctl" log "$work/journal"

if [ "$fails" -ne 0 ]; then
	echo "$fails failed"
	exit 1
fi
echo "bbctl cli: all passed"
