#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Host integration test of the dirtylog CLI.
#   cli_test.sh <dirtylog binary> files   on image files
#   cli_test.sh <dirtylog binary> loop    on a loop device (needs root; exit 77 = skipped)
set -eu
DIRTYLOG=$1
MODE=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dirtylog-cli.XXXXXX")
LOOP=""
cleanup() {
  if [ -n "$LOOP" ]; then losetup -d "$LOOP" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() {  # <needle> <file>
  grep -qF -- "$1" "$2" || { echo "--- $2:"; cat "$2"; fail "expected '$1'"; }
}

"$DIRTYLOG" --help >"$WORK/help" || fail "--help exit status"
expect_in "Examples:" "$WORK/help"
for cmd in create inspect dump; do
  "$DIRTYLOG" "$cmd" --help >"$WORK/help" || fail "$cmd --help"
  expect_in "Examples:" "$WORK/help"
done
set +e
"$DIRTYLOG" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command must exit 2"
"$DIRTYLOG" inspect --bogus x >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option must exit 2"
set -e

if [ "$MODE" = loop ]; then
  [ "$(id -u)" -eq 0 ] || { echo "not root: skipped"; exit 77; }
  truncate -s 1M "$WORK/backing"
  LOOP=$(losetup -f --show "$WORK/backing" 2>/dev/null) || { echo "no loop devices: skipped"; exit 77; }
  LOG=$LOOP
else
  LOG=$WORK/log.img
fi

# 2048 regions of 1024 sectors (a 1 GiB mirror), three runs dirty.
"$DIRTYLOG" create "$LOG" --device-sectors 2097152 --region-size 1024 --dirty 1-3,7,2047 >"$WORK/out"
expect_in "2048 regions, 5 dirty" "$WORK/out"
"$DIRTYLOG" inspect "$LOG" --region-size 1024 --device-sectors 2097152 >"$WORK/out"
expect_in "sync count:   2043/2048 regions in sync, 5 dirty" "$WORK/out"
expect_in "clean regions 0, dirty 1-3, clean 4-6, dirty 7, clean 8-2046, dirty 2047" "$WORK/out"
expect_in "region size:  1024 sectors" "$WORK/out"
"$DIRTYLOG" dump "$LOG" --region-size 1024 >"$WORK/out"
expect_in "dirty regions 1-3 (sectors 1024-4095)" "$WORK/out"
"$DIRTYLOG" inspect "$LOG" --json >"$WORK/out"
expect_in '"dirty":[[1,3],[7,7],[2047,2047]]' "$WORK/out"
expect_in '"sync_count":2043' "$WORK/out"

# Refusals: no overwrite without --force, region count checked, bad magic.
set +e
"$DIRTYLOG" create "$LOG" --regions 10 >/dev/null 2>"$WORK/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "create over an existing log must fail"
expect_in "refusing to overwrite" "$WORK/err"
set +e
"$DIRTYLOG" inspect "$LOG" --region-size 512 --device-sectors 2097152 >/dev/null 2>"$WORK/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "region count mismatch must fail"
expect_in "has 4096" "$WORK/err"
"$DIRTYLOG" create "$LOG" --regions 10 --force >/dev/null

printf 'dirt\002\000\000\000' | dd of="$LOG" conv=notrunc status=none
dd if="$LOG" bs=4096 count=1 status=none | md5sum >"$WORK/before"
set +e
"$DIRTYLOG" inspect "$LOG" >/dev/null 2>"$WORK/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "bad magic must fail"
expect_in "not a disk dirty log" "$WORK/err"
dd if="$LOG" bs=4096 count=1 status=none | md5sum >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "inspect changed the log"

set +e
"$DIRTYLOG" inspect "$WORK/missing" >/dev/null 2>"$WORK/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "missing device must fail"
expect_in "No such file" "$WORK/err"

# check-mirror: 16 regions of 8 sectors; exit 0 holds, 1 broken, 2 cannot check.
"$DIRTYLOG" check-mirror --help >"$WORK/help" || fail "check-mirror --help"
expect_in "Examples:" "$WORK/help"
"$DIRTYLOG" create "$LOG" --regions 16 --dirty 3 --force >/dev/null
truncate -s 64K "$WORK/leg0" "$WORK/leg1"
printf x | dd of="$WORK/leg1" bs=1 seek=$((3 * 4096 + 7)) conv=notrunc status=none
"$DIRTYLOG" check-mirror --log "$LOG" --region-size 8 "$WORK/leg0" "$WORK/leg1" >"$WORK/out" ||
  fail "a difference in an out-of-sync region must hold"
expect_in "holds: every region whose legs differ is out of sync" "$WORK/out"
printf x | dd of="$WORK/leg1" bs=1 seek=$((9 * 4096)) conv=notrunc status=none
set +e
"$DIRTYLOG" check-mirror --log "$LOG" --region-size 8 --json "$WORK/leg0" "$WORK/leg1" >"$WORK/out"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a difference in a clean region must exit 1, not $rc"
expect_in '"broken":[{"region":9,"first_sector":72,"last_sector":79,"differing_legs":[1]}]' "$WORK/out"
for bad in "--region-size 8 $WORK/leg0" "--region-size 16 $WORK/leg0 $WORK/leg1" \
  "--region-size 8 $WORK/leg0 $WORK/missing" "--region-size 8 $WORK/leg0 $WORK/help" \
  "--region-size 7 $WORK/leg0 $WORK/leg1" "$WORK/leg0 $WORK/leg1"; do
  set +e
  # shellcheck disable=SC2086 # the words of $bad are separate arguments
  "$DIRTYLOG" check-mirror --log "$LOG" $bad >/dev/null 2>"$WORK/err"; rc=$?
  set -e
  [ $rc -eq 2 ] || fail "check-mirror $bad must exit 2, not $rc"
done
echo "ok ($MODE)"
