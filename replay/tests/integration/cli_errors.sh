#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Upstream bugs fixed: missing marks, --check 0, unknown options, flag+mark
# stops; errors name entry and offset; nothing replayed past a bad entry.
. "$(dirname "$0")/lib.sh"
B=$LOG_BUILDER R=$REPLAY_LOG
printf 'write 0 8 0x11\nwrite 8 8 0x22 fua\nmark one\nwrite 16 8 0x33\nwrite 24 8 0x44 fua\nmark two\n' |
  $B --out "$WORK/a.log"
expect_status 1 "$R" --log "$WORK/a.log" --find --end-mark missing
grep -q "mark 'missing' does not exist" "$WORK/err" || fail "missing-mark message"
truncate -s 1M "$WORK/t.img"
expect_status 1 "$R" --log "$WORK/a.log" --replay "$WORK/t.img" --end-mark missing
cmp -n 1048576 "$WORK/t.img" /dev/zero || fail "replayed despite a missing end mark"
expect_status 1 "$R" --log "$WORK/a.log" --start-mark missing
expect_status 1 "$R" --log "$WORK/a.log" --replay "$WORK/t.img" --check 0 --fsck true
expect_status 1 "$R" --log "$WORK/a.log" --no-such-option
grep -q Usage "$WORK/err" || fail "no usage on unknown option"
expect_status 1 "$R" --log "$WORK/a.log" --fsck true
expect_status 1 "$R"
expect_status 1 "$R" --log "$WORK/a.log" --limit abc
grep -q "Invalid entry number" "$WORK/err" || fail "limit message"
expect_status 1 "$R" --log "$WORK/a.log" --start-sector x
grep -q "Invalid sector number" "$WORK/err" || fail "sector message"
expect_status 1 "$R" --log "$WORK/a.log" --start-entry 99
# Flag stop and mark stop combine: the FUA (entry 1) comes before mark "two".
expect_status 0 "$R" --log "$WORK/a.log" --find --next-fua --end-mark two
[ "$(cut -d@ -f1 "$WORK/out")" = 1 ] || fail "--next-fua --end-mark gave $(cat "$WORK/out")"
expect_status 0 "$R" --log "$WORK/a.log" --find --next-fua --end-mark one --start-entry 2
[ "$(cut -d@ -f1 "$WORK/out")" = 2 ] || fail "mark before FUA gave $(cat "$WORK/out")"
expect_status 0 "$R" --log "$WORK/a.log" --find --limit 2 --start 3
[ "$(cat "$WORK/out")" = "4@38" ] || fail "--limit 2 --start 3 gave $(cat "$WORK/out")"
# Bad entry: named with offset, exit 1, the entry after it not replayed.
cp "$VECTORS_DIR/garbage-padding.log" "$WORK/g.log"
truncate -s 0 "$WORK/t.img"; truncate -s 8192 "$WORK/t.img"
expect_status 1 "$R" --log "$WORK/g.log" --replay "$WORK/t.img"
grep -q "entry 1 at log offset 1536" "$WORK/err" || fail "error does not name entry/offset: $(cat "$WORK/err")"
cmp -s -n 512 -i 4096:0 "$WORK/t.img" /dev/zero || fail "entry 2 was replayed"
cmp -s -n 512 "$WORK/t.img" /dev/zero && fail "entry 0 was not replayed"
# But replaying up to before the bad entry works, as upstream.
expect_status 0 "$R" --log "$WORK/g.log" --replay "$WORK/t.img" --limit 1
# --help exits 0
expect_status 0 "$R" --help
grep -q -- "--end-mark" "$WORK/out" || fail "help"
echo ok
