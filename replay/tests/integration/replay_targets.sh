#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Replays the same log onto a file and onto a loop block device and
# compares both with the expected image; a log on a block device works,
# and its index goes to the cache folder, not /dev.
. "$(dirname "$0")/lib.sh"
B=$LOG_BUILDER R=$REPLAY_LOG
SIZE=$((64 << 20))
# A 300 MiB discard first (over upstream's silent 128 MiB zeroing cap),
# then writes, a mark, more writes and discards.
cat > "$WORK/script" <<EOS
discard 0 614400
repeat 300 write 2048 8 seq
write 100 16 0x5a meta
flush
discard 2100 64
mark mid
write 50000 128 seq fua
discard 0 1
mark end
EOS
$B --out "$WORK/l.log" < "$WORK/script"
# Expected images built independently from the script's meaning.
python3 - "$WORK" <<'EOP'
import sys
w = sys.argv[1]
SIZE = 64 << 20
def seq(sector, n):
    return bytes(((sector * 13 + i * 7 + (i >> 9)) & 0xff) for i in range(n * 512))
img = bytearray(b'\xee' * SIZE)
def put(sector, data):
    img[sector*512:sector*512+len(data)] = data
def zero(sector, n):
    end = min(SIZE, (sector + n) * 512)
    img[sector*512:end] = bytes(end - sector*512)
zero(0, 614400)
for i in range(300):
    put(2048 + i*8, seq(2048 + i*8, 8))
put(100, b'\x5a' * 16 * 512)
zero(2100, 64)
open(w + '/expect-mid.img', 'wb').write(img)
put(50000, seq(50000, 128))
zero(0, 1)
open(w + '/expect-end.img', 'wb').write(img)
EOP
fresh() { python3 -c "import sys; open(sys.argv[1],'wb').write(b'\xee' * $SIZE)" "$1"; }

# (1) onto a regular file
fresh "$WORK/t.img"
expect_status 0 "$R" --log "$WORK/l.log" --replay "$WORK/t.img" --end-mark mid
cmp "$WORK/t.img" "$WORK/expect-mid.img" || fail "file replay to mid differs"
[ -f "$WORK/l.log.bbidx" ] || fail "index not kept beside the log"
fresh "$WORK/t.img"
expect_status 0 "$R" --log "$WORK/l.log" --replay "$WORK/t.img"
cmp "$WORK/t.img" "$WORK/expect-end.img" || fail "file replay to end differs"
# --no-discard leaves the 0xee fill in discarded ranges
fresh "$WORK/t.img"
expect_status 0 "$R" --log "$WORK/l.log" --replay "$WORK/t.img" --no-discard --end-mark mid
cmp -s "$WORK/t.img" "$WORK/expect-mid.img" && fail "--no-discard still discarded"
cmp -n 512 "$WORK/t.img" <(printf '\xee%.0s' $(seq 512)) || fail "--no-discard zeroed sector 0"

need_loop
# (2) onto a loop block device (BLKZEROOUT path)
fresh "$WORK/dev.img"
attach_loop "$WORK/dev.img" DEV
expect_status 1 "$R" --log "$WORK/l.log" --replay "$DEV" --end-mark mid
grep -q "entry 0 at log offset 512" "$WORK/err" || fail "discard past the device end not reported: $(cat "$WORK/err")"
# The over-long discard is an error on a block device (never a silent cap);
# the same log with a discard that fits the device replays exactly.
sed "1s/.*/discard 0 $((SIZE / 512))/" "$WORK/script" > "$WORK/script2"
$B --out "$WORK/l2.log" < "$WORK/script2"
expect_status 0 "$R" --log "$WORK/l2.log" --replay "$DEV" --end-mark mid
cmp "$DEV" "$WORK/expect-mid.img" || fail "block device replay to mid differs"
expect_status 0 "$R" --log "$WORK/l2.log" --replay "$DEV" --start-mark mid
cmp "$DEV" "$WORK/expect-end.img" || fail "block device replay from mid to end differs"

# (3) a log on a block device; its index is not put in /dev
cp "$WORK/l2.log" "$WORK/logdev.img"
attach_loop "$WORK/logdev.img" LOGDEV
expect_status 0 "$R" --log "$LOGDEV" --find --end-mark end
[ "$(cut -d@ -f1 "$WORK/out")" = 307 ] || fail "find on block-device log gave $(cat "$WORK/out")"
ls /dev/*.bbidx 2>/dev/null && fail "index written into /dev"
ls "$XDG_CACHE_HOME"/blackbox/index/*.bbidx >/dev/null || fail "no index in the cache folder"
fresh "$WORK/t.img"
expect_status 0 "$R" --log "$LOGDEV" --replay "$WORK/t.img"
cmp "$WORK/t.img" "$WORK/expect-end.img" || fail "replay from a block-device log differs"
echo ok
