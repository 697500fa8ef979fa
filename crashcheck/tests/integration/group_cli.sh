#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-crashcheck --group on a synthetic two-device group (no root needed):
# the points are the global order's FUAs (of either device) after 'mkfs';
# each check sees both devices' views as they were at that point
# ({image:NAME}); a group without end marks is checked up to
# complete_through() with a note; --end-entry counts global positions;
# shards and their merge; usage errors (names, options groups do not take) exit 2.
set -euo pipefail
: "${BB_BIN:?}" "${LOG_BUILDER:?}"
cc=$BB_BIN/bb-crashcheck
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Global order: 0 a:write, 1 a:flush, 2 a:mark mkfs, 3 b:FUA, 4 a:write,
# 5 a:FUA, 6 b:FUA (past complete_through: b has no end mark... nor a).
printf 'device 0\nwrite 0 8 0x00\nflush\nmark mkfs\ndevice 1\nwrite 0 8 0x11 fua\ndevice 0\nwrite 8 8 0x22\nwrite 16 8 0x33 fua\ndevice 1\nwrite 8 8 0x44 fua\n' |
	"$LOG_BUILDER" --group-id 7 --out "$work/a.log" --out "$work/b.log"
byte() { echo "\$(od -An -tx1 -N1 -j$2 {image:$1} | tr -d ' ')"; }
cmd="echo E{entry} b0=$(byte b 0) a8=$(byte a 4096) a16=$(byte a 8192) first=\$(od -An -tx1 -N1 {image} | tr -d ' ')"
out=$("$cc" --group "$work/a.log=a" --group "$work/b.log=b" --check-cmd "$cmd" --workdir "$work" -v --no-progress)
grep -q '| E3 b0=11 a8=00 a16=00 first=00$' <<<"$out" || { echo "$out"; exit 1; }
grep -q '| E5 b0=11 a8=22 a16=33 first=00$' <<<"$out" || { echo "$out"; exit 1; }
grep -q 'note: the group is not complete .*checking its first 6 of 7 entries, up to sequence 6' <<<"$out"
grep -q 'summary: 2 points, 2 states checked: 2 passed' <<<"$out"
out=$("$cc" --group "$work/a.log=a" --group "$work/b.log=b" --check-cmd true --workdir "$work" --end-entry 4 --no-progress)
grep -q 'summary: 1 points, 1 states checked: 1 passed' <<<"$out" || { echo "$out"; exit 1; }
# A failing point: exit 1, the state named by its global position.
rc=0
"$cc" --group "$work/a.log=a" --group "$work/b.log=b" --check-cmd "[ $(byte a 8192) != 33 ]" \
	--workdir "$work" --json >"$work/out.json" || rc=$?
[ "$rc" = 1 ]
grep -q '"entry":5,"kind":"FUA","state":"prefix","dropped":\[\],"torn":null,"verdict":"fail"' "$work/out.json" || { cat "$work/out.json"; exit 1; }

# Shards of a group: each report names both logs (a digest of each), and
# merged they give the one run's verdicts; a shard of another group is refused.
for k in 1 2; do
	"$cc" --group "$work/a.log=a" --group "$work/b.log=b" --check-cmd "[ $(byte a 8192) != 33 ]" \
		--workdir "$work" --shard $k/2 --json >"$work/shard-$k.json" || [ $? = 1 ]
	grep -q '"log_digest":"[0-9a-f]\{16\},[0-9a-f]\{16\}"' "$work/shard-$k.json"
done
rc=0
out=$("$cc" merge "$work/shard-1.json" "$work/shard-2.json") || rc=$?
[ "$rc" = 1 ] || { echo "merge exited $rc"; echo "$out"; exit 1; }
grep -q 'summary: 2 points, 2 states checked: 1 passed, 1 failed' <<<"$out" || { echo "$out"; exit 1; }
printf 'device 0\nwrite 0 8 0x01\nflush\nmark mkfs\ndevice 1\nwrite 0 8 0x11 fua\ndevice 0\nwrite 16 8 0x33 fua\n' |
	"$LOG_BUILDER" --group-id 7 --out "$work/a2.log" --out "$work/b2.log"
"$cc" --group "$work/a2.log=a" --group "$work/b2.log=b" --check-cmd "[ $(byte a 8192) != 33 ]" \
	--workdir "$work" --shard 2/2 --json >"$work/other-2.json" || [ $? = 1 ]
rc=0
"$cc" merge "$work/shard-1.json" "$work/other-2.json" >/dev/null 2>"$work/err" || rc=$?
[ "$rc" = 2 ] || { echo "merge of two groups' shards exited $rc"; cat "$work/err"; exit 1; }

help=$("$cc" --help)
grep -q -- '--group data.log=data --group xlog.log=log --fs xfs --xfs-logdev log' <<<"$help"
grep -q -- '{dev:NAME}' <<<"$help"

for bad in "--group $work/a.log=a" "--group $work/a.log=a --group $work/b.log=a --check-cmd true" \
	"--group $work/a.log --group $work/b.log=b --check-cmd true" \
	"--log $work/a.log --group $work/a.log=a --group $work/b.log=b --check-cmd true" \
	"--group $work/a.log=a --group $work/b.log=b --check-cmd true --target $work/t.img" \
	"--group $work/a.log=a --group $work/b.log=b --check-cmd true --drop 1" \
	"--group $work/a.log=a --group $work/b.log=b --check-cmd true --jobs 2" \
	"--group $work/a.log=a --group $work/b.log=b --fs ext4" \
	"--group $work/a.log=a --group $work/b.log=b --fs xfs" \
	"--group $work/a.log=a --group $work/b.log=b --fs xfs --xfs-logdev c" \
	"--group $work/a.log=a --group $work/b.log=b --fs xfs --xfs-logdev a" \
	"--group $work/a.log=a --group $work/b.log=b --check-cmd {dev:c}" \
	"--log $work/a.log --fs xfs --xfs-logdev a"; do
	rc=0
	# shellcheck disable=SC2086
	"$cc" $bad >/dev/null 2>"$work/err" || rc=$?
	[ "$rc" = 2 ] || { echo "'$bad' exited $rc, expected 2"; cat "$work/err"; exit 1; }
	grep -q '^bb-crashcheck: ' "$work/err"
done
echo OK
