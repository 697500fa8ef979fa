#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-mirror on a clustered-disk log, then on a clustered-core log
# (dirtylogd on corosync) active on two nodes; corosync is restarted on
# node 1 while node 1 writes block by block (direct, flushed, "bb-<n>-"
# per block) and node 2 runs fio in its half. Node 1's dirtylogd logs the
# lost connection (CPG:356) and the rejoin (CPG:363, CPG:357 again); node
# 1's writes go on through the restart (the writer began before corosync
# stopped and writes 32 blocks more once node 1 has rejoined) and every
# block it wrote ends on both legs; the legs end identical; every dirtylogd
# line is in the catalogue (bbctl log --strict).
# nodes: 2
# disks: legA:64M legB:64M log:1M
# modules: dm-mod dm-log dm-log-userspace dm-region-hash
# ours: dm-bb-mirror
# timeout: 900
# shellcheck disable=SC2016 # the commands expand in the guests

in_sync='[ "$(dmsetup status m | awk "{print \$7}")" = 128/128 ]'
writer=$(tagged_writer /dev/mapper/m 1024 /tmp/bb-rejoined)
fio2="fio --name=w --filename=/dev/mapper/m --rw=randwrite --bs=64k --numjobs=4 --size=8M \
--offset=32M --offset_increment=8M --time_based --runtime=600 --direct=1 --ioengine=psync --randrepeat=0"
# How many of node 1's first 1024 blocks carry the pattern, in order:
# every block the writer wrote.
prefix=$(tagged_prefix 1024)

run_case() {
	local log=$1 table a b
	table="sleep 1; $(bbm_create "$log" "bb-restart-$log")"
	on 1 'rm -f /tmp/bb-rejoined'
	bg 1 dirtylogd dirtylogd
	on 1 "$table"
	wait_for 1 "$in_sync" 180
	bg 2 dirtylogd dirtylogd
	on 2 "$table"
	wait_for 2 "$in_sync" 180
	bg 2 fio "$fio2"
	bg 1 writer "$writer"
	wait_for 1 'dd if=/dev/mapper/m bs=4096 skip=16 count=1 iflag=direct 2>/dev/null | grep -q bb-16-' 60
	corosync_stop 1
	wait_for 1 'grep -q "CPG:356" /tmp/bg.dirtylogd.log' 60
	corosync_start 1
	wait_members 2 120 1 2
	wait_for 1 '[ "$(grep -c "CPG:357" /tmp/bg.dirtylogd.log)" -ge 2 ]' 120
	on 1 'grep -E "CPG:(356|357|360|363)" /tmp/bg.dirtylogd.log'
	on 1 'grep -q "CPG:363" /tmp/bg.dirtylogd.log'
	on 1 'touch /tmp/bb-rejoined'
	bg_wait 1 writer 300
	n=$(on 1 'sed -n "s/^wrote \([0-9]*\) blocks$/\1/p" /tmp/bg.writer.log')
	wait_for 1 "$in_sync" 120
	wait_for 2 "$in_sync" 120
	on 2 'kill $(pidof fio); while pidof fio >/dev/null; do sleep 0.2; done'
	on_all 'dmsetup status m; dmsetup remove m'
	a=$(on 1 "set -- \"\$DISK_legA\"; $prefix")
	b=$(on 1 "set -- \"\$DISK_legB\"; $prefix")
	echo "node 1's blocks on the legs: $a $b of the $n it wrote"
	# One test a line: under set -e, a failing test before a && would
	# not end the scenario.
	[ -n "$n" ]
	[ "$a" = "$n" ]
	[ "$b" = "$n" ]
	a=$(on 1 'dd if="$DISK_legA" bs=1M iflag=direct 2>/dev/null | md5sum')
	b=$(on 1 'dd if="$DISK_legB" bs=1M iflag=direct 2>/dev/null | md5sum')
	[ "$a" = "$b" ]
	echo "$log: legs identical after node 1's corosync restart: $a"
	on_all 'bbctl log --strict /tmp/bg.dirtylogd.log >/dev/null'
	on_all 'kill "$(pidof dirtylogd)"; while pidof dirtylogd >/dev/null; do sleep 0.2; done'
	on 1 'dd if=/dev/zero of="$DISK_legA" bs=1M oflag=direct 2>/dev/null; dd if=/dev/zero of="$DISK_legB" bs=1M oflag=direct 2>/dev/null
dd if=/dev/zero of="$DISK_log" bs=1M count=1 oflag=direct 2>/dev/null; :'
}

boot_node 1 2
corosync_start 1 2
wait_members 2 120 1 2
run_case clustered-disk
run_case clustered-core
