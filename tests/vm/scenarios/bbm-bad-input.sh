#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: wrong bb-mirror tables (1 or 10 legs, bad offsets, unknown feature or log type, too-short device, ...) and bad messages each get EINVAL/EBUSY and a kernel line saying why; a live device keeps its status, table and data.
# disks: a:16M b:16M c:8M log:1M
# modules: dm-mod dm-log dm-region-hash
# ours: dm-bb-mirror
# timeout: 400
# SPDX-License-Identifier: GPL-2.0-or-later
set -e
. "$BB_LIB/bbm.sh"
SZ=$(blockdev --getsz "$DISK_a")
RS=64
a=$DISK_a b=$DISK_b
GOOD="disk 2 $DISK_log $RS 2 $a 0 $b 0 1 handle_errors"

dmsetup create m --table "0 $SZ bb-mirror $GOOD"
bbm_wait_sync m 60
dd if=/dev/urandom of=/dev/mapper/m bs=1M count=4 seek=2 oflag=direct 2>/dev/null
data=$(sum /dev/mapper/m)
st=$(dmsetup status m) tb=$(dmsetup table m)
echo "live: $st"

# kernel_lines — kernel log lines since the last call.
dmesg -c >/dev/null
kernel_lines() { dmesg -c | grep -E 'bb-mirror|device-mapper' || true; }

# Every case runs; what went wrong is collected and fails the scenario at
# the end (one run shows every problem).
problems=""
problem() {
	echo "PROBLEM: $*"
	problems="$problems
  $*"
}

# bad_table WHY TABLE — refused at create and at reload of the live device:
# EINVAL, a kernel line, the live device unchanged.
bad_table() {
	why=$1
	shift
	if dmsetup create bad --table "$*" >/tmp/out 2>&1; then
		dmsetup remove bad
		problem "$why: table accepted: $*"
		return
	fi
	grep -q 'Invalid argument\|No such device\|No such file or directory\|Device or resource busy' /tmp/out ||
		problem "$why: dmsetup said: $(cat /tmp/out)"
	lines=$(kernel_lines)
	[ -n "$lines" ] || problem "$why: no kernel line"
	if dmsetup reload m --table "$*" >/tmp/out 2>&1; then
		problem "$why: reload of the live device accepted (refused only at resume): $*"
		dmsetup clear m
	fi
	kernel_lines >/dev/null
	dmsetup info m | grep -q 'Tables present: *LIVE$' || problem "$why: the refused reload left an inactive table"
	{ [ "$(dmsetup status m)" = "$st" ] && [ "$(dmsetup table m)" = "$tb" ]; } || fail "$why: the live device changed"
	# The line saying why: ctr's failed "done" line names ti->error.
	line=$(echo "$lines" | grep -m1 '\[CMD:4\] ctr done\|table:' || echo "$lines" | tail -n1)
	printf '%-34s %s\n' "$why" "$(echo "$line" | sed 's/^\[[^]]*\] //')"
	echo "$why: $lines" >>"$RESULTS/kernel-lines.txt"
}

echo "== tables"
bad_table "1 leg" "0 $SZ bb-mirror core 1 $RS 1 $a 0"
bad_table "10 legs" "0 $SZ bb-mirror core 1 $RS 10 $a 0 $b 0 $a 0 $b 0 $a 0 $b 0 $a 0 $b 0 $a 0 $b 0"
bad_table "0 legs" "0 $SZ bb-mirror core 1 $RS 0"
bad_table "leg count not a number" "0 $SZ bb-mirror core 1 $RS two $a 0 $b 0"
bad_table "fewer legs than said" "0 $SZ bb-mirror core 1 $RS 3 $a 0 $b 0"
bad_table "offset not a number" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b x12"
bad_table "negative offset" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b -8"
bad_table "offset past the leg's end" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b $((SZ - 8))"
bad_table "too-short leg device" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $DISK_c 0"
bad_table "no such leg device" "0 $SZ bb-mirror core 1 $RS 2 $a 0 /dev/nonexistent 0"
bad_table "unknown feature" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b 0 1 fancy_feature"
bad_table "feature count too high" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b 0 2 handle_errors"
bad_table "extra arguments" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b 0 1 handle_errors junk"
bad_table "keep_log without handle_errors" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b 0 1 keep_log"
bad_table "resync_parallel 0" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b 0 2 resync_parallel 0"
bad_table "resync_parallel 65" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b 0 2 resync_parallel 65"
bad_table "resync_parallel without value" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b 0 1 resync_parallel"
bad_table "resync_rate not a number" "0 $SZ bb-mirror core 1 $RS 2 $a 0 $b 0 2 resync_rate fast"
bad_table "unknown log type" "0 $SZ bb-mirror nolog 1 $RS 2 $a 0 $b 0"
bad_table "log params past the end" "0 $SZ bb-mirror core 9 $RS 2 $a 0 $b 0"
bad_table "region size not a power of 2" "0 $SZ bb-mirror core 1 100 2 $a 0 $b 0"
bad_table "no arguments" "0 $SZ bb-mirror"

echo "== messages"
# refuse MESSAGE... — EINVAL/EBUSY, nothing changed, and three kernel
# lines: the message received, exactly one line saying why, the message
# done with the error (docs/operation-log.md).
refuse() {
	kernel_lines >/dev/null
	must_refuse m "$@"
	lines=$(kernel_lines)
	why=$(echo "$lines" | grep bb-mirror | grep -v '\[CMD:3\] message received (seq\|\[CMD:5\] message done: ' || true)
	{ [ "$(echo "$lines" | grep -c bb-mirror)" = 3 ] && [ "$(echo "$why" | grep -c bb-mirror)" = 1 ] &&
		echo "$lines" | grep -q "\[CMD:3\] message received (seq [0-9]*): $1" &&
		echo "$lines" | grep -q '\[CMD:5\] message done: -\(22\|16\) (seq [0-9]*, [0-9]* ms)$'; } ||
		problem "message '$*': want received, one line saying why, done; got: $lines"
	printf '%-34s %s %s\n' "'$*'" "$(grep -o 'Invalid argument\|Device or resource busy' /tmp/refuse.out)" \
		"$(echo "$why" | sed 's/^\[[^]]*\] //')"
}
refuse fail_leg 2
refuse fail_leg 9
refuse fail_leg -1
refuse fail_leg one
refuse fail_leg
refuse fail_leg 0 1
refuse readd_leg 0
refuse readd_leg 1
refuse readd_leg 5
refuse resync_rate fast
refuse resync_rate
refuse resync resume
refuse resync sideways
refuse frobnicate
dmsetup message m 0 resync pause
st=$(dmsetup status m)
refuse resync pause
dmsetup message m 0 resync resume
st=$(dmsetup status m)
dmsetup message m 0 fail_leg 1
st=$(dmsetup status m) tb=$(dmsetup table m)
refuse fail_leg 1
# Leg 0 is the last leg in sync: EBUSY (or EINVAL).
refuse fail_leg 0
dmsetup message m 0 readd_leg 1
bbm_wait_sync m 60
[ "$(sum /dev/mapper/m)" = "$data" ] || fail "the data changed"
dmsetup remove m
[ "$(sum "$a")" = "$(sum "$b")" ] || fail "legs differ"
[ -z "$problems" ] || fail "data and legs intact, but:$problems"
echo "every bad table and message refused; data and legs intact"
