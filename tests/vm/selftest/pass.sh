#!/bin/sh
# Passes: writes a result file the host check reads back.
# disks: scratch:16M
# timeout: 30
set -e
echo hello >"$RESULTS/hello"
dd if=/dev/zero of="$DISK_scratch" bs=4k count=1 2>/dev/null
