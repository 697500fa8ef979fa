#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Bench: record a short log (125 rounds of small files, 4 KiB..1 MiB) on ext4 (in-tree log-writes) for bench/crashcheck/run.
# disks: data:320M log:1G
# modules: dm-log-writes
# timeout: 600
set -e
. "$BB_LIB/bench-record.sh"
bench_record ext4 125 "1 16 64 256 2 128 8 32 4 3"
