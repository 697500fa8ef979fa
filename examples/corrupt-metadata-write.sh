#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# corrupt-metadata-write.sh — copy a log and overwrite the data of one
# METADATA write with text: a broken crash point for bb-crashcheck to find.
# The write chosen is after the 'mkfs' mark, at or before the last FUA (so
# a FUA crash point sees it) and is never overwritten by a later entry (so
# the damage stays on the disk); SKIP picks the SKIP-th such write counted
# from the end of the log (default 0, the last).
#
# Usage: examples/corrupt-metadata-write.sh LOG OUT_LOG [SKIP]
# Prints "<entry> <nr_sectors>" of the corrupted write; exits 1 if none.
# Environment: REPLAY_LOG (default build/bin/replay-log).
set -euo pipefail
log=${1:?usage: corrupt-metadata-write.sh LOG OUT_LOG [SKIP]}
out=${2:?usage: corrupt-metadata-write.sh LOG OUT_LOG [SKIP]}
skip=${3:-0}
repo=$(cd "$(dirname "$0")/.." && pwd)
REPLAY_LOG=${REPLAY_LOG:-$repo/build/bin/replay-log}

mkfs=$("$REPLAY_LOG" --log "$log" --find --end-mark mkfs | cut -d@ -f1)
sectorsize=$("$REPLAY_LOG" --log "$log" --stats | sed -n 's/^sectorsize: \([0-9]*\).*/\1/p')
pick=$("$REPLAY_LOG" --log "$log" --dump | awk -v mkfs="$mkfs" -v skip="$skip" '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
	f["nr_sectors"] > 0 && f["flags"] !~ /DISCARD/ {
		n = ++count; e[n] = f["entry"]; s[n] = f["sector"]; len[n] = f["nr_sectors"]; off[n] = f["offset"]
		meta[n] = (f["flags"] ~ /METADATA/ && f["entry"] > mkfs)
	}
	f["flags"] ~ /FUA/ { lastfua = f["entry"] }
	END {
		for (n = count; n >= 1; n--) {
			if (!meta[n] || e[n] > lastfua) continue
			over = 0
			for (m = n + 1; m <= count; m++) if (s[m] < s[n] + len[n] && s[m] + len[m] > s[n]) { over = 1; break }
			if (!over && skip-- == 0) { print e[n], off[n], len[n]; exit }
		}
	}')
[ -n "$pick" ] || exit 1
read -r entry offset sectors <<<"$pick"
cp --sparse=always "$log" "$out"
head -c $((sectors * sectorsize)) < <(yes "corrupted by corrupt-metadata-write.sh") |
	dd of="$out" bs=1 seek=$((offset + sectorsize)) conv=notrunc status=none
echo "$entry $sectors"
