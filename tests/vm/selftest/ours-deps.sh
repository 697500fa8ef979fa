#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Passes: naming only our module (# ours:) loads the in-tree modules it depends on.
# ours: dm-bb-log-writes
# timeout: 30
set -e
# dm-mod is no boot module and no "# modules:" line names it: the runner
# found it in the "depends" of dm-bb-log-writes.ko.
[ -d /sys/module/dm_mod ]
[ -d /sys/module/dm_bb_log_writes ]
dmsetup targets | grep '^bb-log-writes '
