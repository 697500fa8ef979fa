#!/bin/sh
# Bench: record 100 fsync'ed file writes on xfs (in-tree log-writes) for bench/checker/run.
# disks: data:512M log:1G
# modules: dm-log-writes
# timeout: 600
set -e
. "$BB_LIB/bench-record.sh"
bench_record xfs 100
