#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-fuzzer.sh FUZZER CORPUS_DIR SECONDS: runs a libFuzzer target for a
# bounded time over a scratch copy of the corpus (the committed vectors
# are never modified).
set -eu
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d /tmp/bb-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$corpus"/*.log "$work"/
"$fuzzer" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$work"
