#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A log of real ext4 states made on the host (no device-mapper needed):
# mkfs, then three states (files written and synced while mounted, a
# rename and delete, the unmount), each logged as its changed image, a
# FLUSH and a FUA write. Checks that bb-crashcheck and the xfstests-style
# loop agree at every FUA, also with a corrupted metadata write
# (compare_slow_loop.sh), and exercises beyond-prefix states, duplicate
# skipping, reflink and copy views, --json and --junit. Needs root.
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}" "${REPO:?}"
# shellcheck source=fs_states.sh
. "$(dirname "$0")/fs_states.sh"
fs_states_begin checker-states
truncate -s 64M "$img"
mkfs.ext4 -q -F -b 4096 "$img"
cp --sparse=always "$img" "$work/s0.img"
dev=$(losetup -f --show "$img")
mount "$dev" "$mnt"
for i in 1 2 3 4 5; do head -c $((i * 12345)) /dev/urandom >"$mnt/f$i"; done
sync
cp --sparse=always "$img" "$work/s1.img"
mkdir "$mnt/d"
mv "$mnt/f1" "$mnt/d/g1"
rm "$mnt/f2"
sync
cp --sparse=always "$img" "$work/s2.img"
umount "$mnt"
losetup -d "$dev"
dev=
cp --sparse=always "$img" "$work/s3.img"

log=$work/log.img
fs_states_log "$log" 64 3

echo "== verdicts against the xfstests-style loop"
WORK=$work "$REPO/crashcheck/tests/integration/compare_slow_loop.sh" "$log" ext4 $((64 << 20))

echo "== beyond prefixes, copy views"
"$BB_BIN/bb-crashcheck" --log "$log" --fs ext4 --points fua,flush --drop 1 --torn --max-states-per-point 20 \
	--view copy --jobs 2 --workdir "$work" --keep-dir "$work/keep" --json >"$work/beyond.json" || [ $? = 1 ]
# shellcheck disable=SC2001 # a regex capture, not a plain replacement
summary=$(sed 's/.*"summary":{\([^}]*\)}.*/\1/' "$work/beyond.json")
echo "$summary"
# shellcheck disable=SC2001 # a regex capture, not a plain replacement
states=$(sed 's/.*"states":\([0-9]*\).*/\1/' <<<"$summary")
# shellcheck disable=SC2001 # a regex capture, not a plain replacement
points=$(sed 's/.*"points":\([0-9]*\).*/\1/' <<<"$summary")
# shellcheck disable=SC2001 # a regex capture, not a plain replacement
dups=$(sed 's/.*"duplicates_skipped":\([0-9]*\).*/\1/' <<<"$summary")
[ "$states" -gt "$points" ] || { echo "no beyond-prefix states were checked"; exit 1; }
# Most 4 KiB writes of an image rewrite leave a block as it was: dropping
# one of them gives the prefix state again, which must be skipped.
[ "$dups" -gt 0 ] || { echo "no duplicate state was skipped"; exit 1; }
grep -q '"view":"copy"' "$work/beyond.json"
if grep -q '"verdict":"fail"' "$work/beyond.json"; then
	grep -o '"state":"[^"]*","dropped":\[[^]]*\],"torn":[^,]*\(,"sectors_landed":[0-9]*}\)\?,"verdict":"fail"' \
		"$work/beyond.json" | head -n 3
	grep -q '"verdict":"fail"' <(grep -o '"state":"prefix","dropped":\[\],"torn":null,"verdict":"[a-z]*"' "$work/beyond.json") &&
		{ echo "a prefix state failed"; exit 1; }
fi

echo "== reflink views (XFS scratch on a loop device), JUnit"
"$BB_BIN/bb-crashcheck" --log "$log" --fs ext4 --view reflink --workdir "$work" --junit "$work/junit.xml" \
	--keep-dir "" | tee "$work/reflink.txt"
grep -q 'reflink views' "$work/reflink.txt"
[ "$(grep -c '<testcase ' "$work/junit.xml")" = 3 ]

echo "== e2fsck gets bit-array maps, unless its configuration sets [bitmaps]"
# An e2fsck first on PATH that records the configuration it is given.
mkdir -p "$work/bin"
real_e2fsck=$(command -v e2fsck)
# shellcheck disable=SC2016 # the wrapper expands them, not this shell
printf '#!/bin/sh\n{ echo "--- ${E2FSCK_CONFIG:-none}"; [ -z "${E2FSCK_CONFIG:-}" ] || cat "$E2FSCK_CONFIG"; } >>"%s"\nexec "%s" "$@"\n' \
	"$work/e2fsck-configs" "$real_e2fsck" >"$work/bin/e2fsck"
chmod +x "$work/bin/e2fsck"
printf '[options]\n\tbroken_system_clock = 1\n' >"$work/user.conf"
E2FSCK_CONFIG=$work/user.conf PATH=$work/bin:$PATH "$BB_BIN/bb-crashcheck" --log "$log" --fs ext4 \
	--workdir "$work" --keep-dir "" -q
cat "$work/e2fsck-configs"
[ "$(grep -c '^--- /proc/[0-9]*/fd/[0-9]*$' "$work/e2fsck-configs")" = 3 ]
[ "$(grep -c 'broken_system_clock = 1' "$work/e2fsck-configs")" = 3 ]
[ "$(grep -c 'all = 1' "$work/e2fsck-configs")" = 3 ]
printf '[bitmaps]\n\tall = 2\n' >"$work/user.conf"
: >"$work/e2fsck-configs"
E2FSCK_CONFIG=$work/user.conf PATH=$work/bin:$PATH "$BB_BIN/bb-crashcheck" --log "$log" --fs ext4 \
	--workdir "$work" --keep-dir "" -q
[ "$(grep -c "^--- $work/user.conf\$" "$work/e2fsck-configs")" = 3 ]
if grep -q 'all = 1' "$work/e2fsck-configs"; then echo "a [bitmaps] of the user's was overridden"; exit 1; fi
echo OK
