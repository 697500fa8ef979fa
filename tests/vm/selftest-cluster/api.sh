#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The helpers of tests/vm/cluster-nodes.sh do what they say: output and
# status of on, on_all, bg/bg_wait, wait_for's timeout, shared and private
# disks, a guest killed under a command, a guest booted again.
# nodes: 2
# disks: s:1M
# private: p:1M
# timeout: 300
# shellcheck disable=SC2016 # the commands expand in the guests

boot_node 1 2
[ "$(on 1 'echo hi')" = hi ]
rc=0
on 1 'echo out; echo err >&2; exit 7' >"$BB_RUN/out" || rc=$?
[ "$rc" = 7 ] && [ "$(cat "$BB_RUN/out")" = "out
err" ]
[ "$(on_all 'echo $BB_NODE' | tr '\n' ' ')" = "1 2 " ]

# The shared disk is one, the private ones two.
on 1 '[ -b "$DISK_s" ] && [ -b "$DISK_p" ] && [ "$DISK_s" != "$DISK_p" ]'
on 1 'printf one | dd of="$DISK_s" bs=512 conv=sync oflag=direct 2>/dev/null'
on 1 'printf mine | dd of="$DISK_p" bs=512 conv=sync oflag=direct 2>/dev/null'
[ "$(on 2 'dd if="$DISK_s" bs=512 count=1 iflag=direct 2>/dev/null | head -c 3')" = one ]
[ -z "$(on 2 'dd if="$DISK_p" bs=512 count=1 iflag=direct 2>/dev/null | tr -d "\\000"')" ]

bg 1 job 'sleep 1; echo done; exit 3'
rc=0
bg_wait 1 job 60 || rc=$?
[ "$rc" = 3 ]
[ "$(on 1 'cat /tmp/bg.job.log')" = "done" ]
if wait_for 1 false 2; then exit 1; fi

# A guest killed while it runs a command: on says 255, at once.
(sleep 3 && kill_node 2) &
killer=$!
rc=0
on 2 'sleep 100' || rc=$?
wait $killer # not a bare wait: the guests' QEMUs are jobs of this shell too
[ "$rc" = 255 ]
if node_up 2; then exit 1; fi
rc=0
on 2 true || rc=$?
[ "$rc" = 255 ]
boot_node 2
[ "$(on 2 'cat /proc/uptime | cut -d. -f1')" -lt 100 ]
echo "all helpers as documented"
