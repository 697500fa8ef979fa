#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xfstests common/dmlogwrites (and btrfs/192, Josef Bacik's scripts) drive
# replay-log with the command lines below, as xfstests' common/dmlogwrites
# writes them. They must work unchanged against logs made with our writer.
# The helpers keep xfstests' shapes ($? tested after the command,
# $(($x + 1)), ! -z), so that they read as xfstests runs them:
# shellcheck disable=SC2181,SC2004,SC2236
. "$(dirname "$0")/lib.sh"
set +e  # the xfstests helpers are written for a shell without -e
here=$WORK/xfstests
mkdir -p "$here/src/log-writes"
ln -s "$REPLAY_LOG" "$here/src/log-writes/replay-log"
seqres=$WORK/seqres
LOGWRITES_DEV=$WORK/log.img
SCRATCH_DEV=$WORK/scratch.img
_fail() { echo "_fail: $*" >&2; exit 1; }

# --- the helpers, with xfstests' replay-log command lines ---
_log_writes_replay_log() {
	_mark=$1
	_blkdev=$2
	"$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV" --find \
		--end-mark "$_mark" >> "$seqres".full 2>&1
	[ $? -ne 0 ] && _fail "mark '$_mark' does not exist"
	"$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV" --replay "$_blkdev" \
		--end-mark "$_mark" >> "$seqres".full 2>&1
	[ $? -ne 0 ] && _fail "replay failed"
}
_log_writes_mark_to_entry_number() {
	local mark=$1
	local ret
	ret=$("$here/src/log-writes/replay-log" --find --log "$LOGWRITES_DEV" \
		--end-mark "$mark" 2> /dev/null)
	[ -z "$ret" ] && return
	ret=$(echo "$ret" | cut -f1 -d\@)
	echo "mark $mark has entry number $ret" >> "$seqres".full
	echo "$ret"
}
_log_writes_find_next_fua() {
	local entry=$1
	local ret
	[ -z "$entry" ] && entry=0
	ret=$("$here/src/log-writes/replay-log" --find --log "$LOGWRITES_DEV" \
		--next-fua --start-entry "$entry" 2> /dev/null)
	[ -z "$ret" ] && return
	ret=$(echo "$ret" | cut -f1 -d\@)
	echo "next fua is entry number $ret" >> "$seqres".full
	echo "$ret"
}
_log_writes_replay_log_range() {
	local end=$1
	local blkdev=$2
	[ -z "$end" ] && _fail "end entry must be specified"
	echo "=== replay to $end ===" >> "$seqres".full
	"$here/src/log-writes/replay-log" -vv --log "$LOGWRITES_DEV" \
		--replay "$blkdev" --limit $(($end + 1)) \
		>> "$seqres".full 2>&1
	[ $? -ne 0 ] && _fail "replay failed"
}

# --- the log: mkfs-like discard + writes + mark, then FUA-delimited steps ---
{
  echo "discard 0 4096"
  echo "write 0 16 0xaa"
  echo "mark mkfs"
  for k in 1 2 3 4 5; do
    echo "write $((100 + k * 8)) 8 $((k * 16))"
    echo "write $((200 + k)) 1 $((k * 16 + 1)) fua"
  done
  echo "mark last"
  echo "write 300 1 0xee"
  echo "mark end"
} | "$LOG_BUILDER" --out "$LOGWRITES_DEV"
truncate -s $((4096 * 512)) "$SCRATCH_DEV"
byte_at() { od -An -tu1 -j $(($1 * 512)) -N1 "$SCRATCH_DEV" | tr -d ' '; }

# generic/455-style: replay to marks that exist; a missing one fails.
_log_writes_replay_log last "$SCRATCH_DEV"
{ [ "$(byte_at 205)" = 81 ] && [ "$(byte_at 300)" = 0 ]; } || _fail "replay to 'last' wrong"
_log_writes_replay_log end "$SCRATCH_DEV"
[ "$(byte_at 300)" = 238 ] || _fail "replay to 'end' wrong"
( _log_writes_replay_log nosuchmark "$SCRATCH_DEV" ) 2>/dev/null && _fail "missing mark accepted"

# generic/482-style FUA loop: replay from entry 0 to each FUA.
prev=$(_log_writes_mark_to_entry_number mkfs)
[ "$prev" = 2 ] || _fail "mkfs mark entry is '$prev'"
cur=$(_log_writes_find_next_fua "$prev")
[ -z "$cur" ] && _fail "failed to locate next FUA write"
steps=0
while [ ! -z "$cur" ]; do
	_log_writes_replay_log_range "$cur" "$SCRATCH_DEV"
	steps=$((steps + 1))
	# state after FUA number `steps`: its block written, the next one not
	[ "$(byte_at $((200 + steps)))" = $((steps * 16 + 1)) ] || _fail "step $steps: FUA block missing"
	[ "$(byte_at $((201 + steps)))" = 0 ] || _fail "step $steps: later block present (or not zeroed)"
	prev=$cur
	cur=$(_log_writes_find_next_fua $(($cur + 1)))
	[ -z "$cur" ] && break
done
[ $steps = 5 ] || _fail "FUA loop made $steps steps"
grep -q "^replaying 0@2: sector 0, size 2097152, flags 0x4(DISCARD)" "$seqres".full || _fail "-vv output format"

# btrfs/192-style fast check: one pass, fsck at every FUA.
cat > "$WORK/fsck" <<EOS
#!/bin/sh
echo check >> $WORK/fsck.calls
[ ! -e $WORK/fsck.fail ]
EOS
chmod +x "$WORK/fsck"
"$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV" \
	--replay "$SCRATCH_DEV" --check fua --fsck "$WORK/fsck" \
	&> "$WORK/full_fsck" || _fail "fsck failed during replay"
[ "$(wc -l < "$WORK/fsck.calls")" = 5 ] || _fail "fsck ran $(wc -l < "$WORK/fsck.calls") times, want 5"
touch "$WORK/fsck.fail"
if "$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV" --replay "$SCRATCH_DEV" \
	--check fua --fsck "$WORK/fsck" &> "$WORK/full_fsck"; then _fail "fsck failure not reported"; fi
grep -q "Fsck errored out on entry 4" "$WORK/full_fsck" || _fail "fsck failure message: $(cat "$WORK/full_fsck")"
rm "$WORK/fsck.fail" "$WORK/fsck.calls"
# --check N and --start-entry / --start (Josef Bacik's replay-individual.sh)
"$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV" --replay "$SCRATCH_DEV" \
	--start-entry 3 --check 4 --fsck "$WORK/fsck" > /dev/null || _fail "--check 4"
[ "$(wc -l < "$WORK/fsck.calls")" = 3 ] || _fail "--check 4 from entry 3 ran $(wc -l < "$WORK/fsck.calls") times"
"$here/src/log-writes/replay-log" --limit 1 --start 5 --log "$LOGWRITES_DEV" --replay "$SCRATCH_DEV" || _fail "--start"
# --num-entries and the info line
[ "$("$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV" --num-entries)" = 16 ] || _fail "--num-entries"
[ "$("$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV")" = "Log version=1, sectorsize=512, entries=16" ] ||
  _fail "info line"
# --find with --next-flush finds nothing here
if "$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV" --find --next-flush 2>/dev/null; then _fail "flush found"; fi
# --start-sector/--end-sector: only entries overlapping [208, 216]
truncate -s 0 "$SCRATCH_DEV"; truncate -s $((4096 * 512)) "$SCRATCH_DEV"
"$here/src/log-writes/replay-log" --log "$LOGWRITES_DEV" --replay "$SCRATCH_DEV" --start-sector 201 --end-sector 203 \
  --end-mark last || _fail "sector range replay"
{ [ "$(byte_at 201)" = 17 ] && [ "$(byte_at 0)" = 0 ] && [ "$(byte_at 204)" = 0 ]; } || _fail "sector range wrong"
echo ok
