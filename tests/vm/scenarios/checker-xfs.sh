#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Checker: record a small xfs workload with the in-tree log-writes target; the host checks every FUA both ways.
# disks: data:512M log:512M
# modules: dm-log-writes
# timeout: 240
# The host side (checker-xfs.host) runs bb-check and the xfstests-style loop
# (replay from entry 0 per FUA, mount, umount, fsck) on log.img and requires
# the same verdict at every point, also on a copy with one metadata write
# corrupted.
set -e
. "$BB_LIB/checker-record.sh"
checker_record xfs
