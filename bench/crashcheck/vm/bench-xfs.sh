#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Bench: record 80 rounds of a generic/482-like workload on xfs (in-tree log-writes) for bench/crashcheck/run.
# disks: data:512M log:1G
# modules: dm-log-writes
# timeout: 600
set -e
. "$BB_LIB/bench-record.sh"
bench_record xfs 80
