#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-crashcheck in shards on one machine or over ssh, without a scheduler:
# N shards side by side with xargs -P (or GNU parallel), then merge.
#
# Usage: examples/shards/xargs.sh LOG FS N [OUT_DIR]
# Prints the merged report; exits as bb-crashcheck merge does (0 every
# point passed, 1 one failed, 2 an error). Shard reports, their kept
# images and results.xml (JUnit) go to OUT_DIR (default ./shards).
# The same with GNU parallel, one shard per host of a list:
#   parallel -S host1,host2 --transferfile LOG \
#     'bb-crashcheck --log LOG --fs xfs --shard {}/8 --json >shard-{}.json' ::: $(seq 8)
set -euo pipefail
log=${1:?usage: xargs.sh LOG FS N [OUT_DIR]}
fs=${2:?usage: xargs.sh LOG FS N [OUT_DIR]}
n=${3:?usage: xargs.sh LOG FS N [OUT_DIR]}
out=${4:-shards}
BB_CRASHCHECK=${BB_CRASHCHECK:-bb-crashcheck}
mkdir -p "$out"
export log fs n out BB_CRASHCHECK
# Exit 1 (a point failed) is a shard that did its work; only 2 or a signal
# stops the run.
# shellcheck disable=SC2016 # expanded by the shell xargs starts
seq 1 "$n" | xargs -P "$n" -I {} sh -c \
	'"$BB_CRASHCHECK" --log "$log" --fs "$fs" --shard {}/"$n" --json --no-progress \
		--keep-dir "$out/evidence-{}" >"$out/shard-{}.json" || [ $? = 1 ]'
"$BB_CRASHCHECK" merge --junit "$out/results.xml" "$out"/shard-*.json
