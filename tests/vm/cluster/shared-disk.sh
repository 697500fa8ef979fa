#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A shared disk is coherent between guests: what one writes with direct
# I/O, another reads at once with direct I/O, both ways, and a guest
# killed right after its write leaves the write on the disk.
# nodes: 2
# disks: shared:64M
# timeout: 600
# shellcheck disable=SC2016 # the commands expand in the guests

boot_node 1 2
# 8 MiB of a pattern of node 1 at 0, 8 MiB of node 2's at 16 MiB.
on 1 'dd if=/dev/urandom of=/tmp/p1 bs=1M count=8 2>/dev/null && dd if=/tmp/p1 of="$DISK_shared" bs=1M oflag=direct && md5sum </tmp/p1 >/tmp/p1.md5'
on 2 'dd if=/dev/urandom of=/tmp/p2 bs=1M count=8 2>/dev/null && dd if=/tmp/p2 of="$DISK_shared" bs=1M seek=16 oflag=direct'
sum1=$(on 1 'cat /tmp/p1.md5')
sum2=$(on 2 'md5sum </tmp/p2')
[ "$(on 2 'dd if="$DISK_shared" bs=1M count=8 iflag=direct 2>/dev/null | md5sum')" = "$sum1" ]
[ "$(on 1 'dd if="$DISK_shared" bs=1M skip=16 count=8 iflag=direct 2>/dev/null | md5sum')" = "$sum2" ]

# Node 1 overwrites its range and is killed at once: node 2 reads the new data.
on 1 'dd if=/dev/urandom of=/tmp/p3 bs=1M count=8 2>/dev/null && dd if=/tmp/p3 of="$DISK_shared" bs=1M oflag=direct && md5sum </tmp/p3 >/tmp/p3.md5'
sum3=$(on 1 'cat /tmp/p3.md5')
kill_node 1
[ "$(on 2 'dd if="$DISK_shared" bs=1M count=8 iflag=direct 2>/dev/null | md5sum')" = "$sum3" ]
echo "coherent: node 2 reads node 1's writes, node 1 node 2's, and a killed node's last write"
