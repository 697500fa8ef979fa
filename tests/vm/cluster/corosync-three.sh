#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Three guests on a VDE hub form a corosync ring; corosync stopped on one
# leaves two members, started again makes three.
# nodes: 3
# timeout: 600

boot_node 1 2 3
corosync_start 1 2 3
wait_members 3 120 1 2 3
on 1 'corosync-quorumtool -s'

corosync_stop 3
wait_members 2 120 1 2
on 2 'corosync-quorumtool -s'

corosync_start 3
wait_members 3 120 1 2 3
on 3 'corosync-quorumtool -s'
on 3 'corosync-cpgtool'
