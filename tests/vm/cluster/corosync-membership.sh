#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two guests form a corosync ring; the survivor of a killed guest sees one
# member, and two again once the killed guest is back.
# nodes: 2
# timeout: 600

boot_node 1 2
corosync_start 1 2
wait_members 2 120 1 2
on 1 'corosync-quorumtool -s'

kill_node 2
wait_members 1 120 1
on 1 'corosync-quorumtool -s'

boot_node 2
corosync_start 2
wait_members 2 120 1 2
on 2 'corosync-quorumtool -s'
