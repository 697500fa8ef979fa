#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-mirror on a clustered log (dirtylogd on corosync), active on two
# nodes, node 1 killed mid-write — once on a clustered-disk log, once on a
# clustered-core log (node 1 booted again between; node 2's boot reused).
# Node 1 writes its half block by block, direct and synchronous, each
# block "bb-<n>-" padded with spaces; node 2 runs fio in its half. After
# the kill: node 2's dirtylogd says node 1 departed (CPG:352) with N
# regions, all in node 1's half, turned out of sync and 128-N in sync;
# node 2's bb-mirror resyncs on its own writes, with no suspend/resume:
# its resync starts with exactly N regions (SYNC:230) and copies exactly
# that set (SYNC:231); both legs then carry a non-empty prefix of node
# 1's blocks and nothing after it, and are byte-identical; every
# dirtylogd line is in the catalogue (bbctl log --strict).
# nodes: 2
# disks: legA:64M legB:64M log:1M
# modules: dm-mod dm-log dm-log-userspace dm-region-hash
# ours: dm-bb-mirror
# timeout: 900
# shellcheck disable=SC2016 # the commands expand in the guests

in_sync='[ "$(dmsetup status m | awk "{print \$7}")" = 128/128 ]'
# Node 1's writer: 4 KiB blocks 0..8191 (its 32 MiB) in order.
writer=$(tagged_writer /dev/mapper/m 8192)
fio2="fio --name=w --filename=/dev/mapper/m --rw=randwrite --bs=64k --numjobs=4 --size=8M \
--offset=32M --offset_increment=8M --time_based --runtime=600 --direct=1 --ioengine=psync --randrepeat=0"
# The blocks of node 1's half carrying the pattern: [0,k), k > 0.
prefix=$(tagged_prefix 8192)

run_case() {
	local log=$1 table n list m todo copied
	table=$(bbm_create "$log" "bb-cluster-$log")
	on_all 'dmesg -c >/dev/null; : >/tmp/bg.dirtylogd.log'
	bg 1 dirtylogd dirtylogd
	on 1 "sleep 1; $table"
	wait_for 1 "$in_sync" 180
	bg 2 dirtylogd dirtylogd
	on 2 "sleep 1; $table"
	wait_for 2 "$in_sync" 180
	on 2 'dmesg -c >/dev/null'
	bg 2 fio "$fio2"
	bg 1 writer "$writer"
	# Killed once node 1 has written some blocks and the cluster holds its marks.
	wait_for 1 'dd if=/dev/mapper/m bs=4096 skip=16 count=1 iflag=direct 2>/dev/null | grep -q bb-16-' 60
	kill_node 1
	wait_members 1 120 2
	wait_for 2 'grep -q "CPG:352" /tmp/bg.dirtylogd.log' 120
	line=$(on 2 'grep "CPG:352" /tmp/bg.dirtylogd.log')
	echo "$line"
	n=$(sed -n 's/.*departed: \([0-9]*\) regions.*/\1/p' <<<"$line")
	list=$(sed -n 's/.*out of sync (\([0-9 ]*\)).*/\1/p' <<<"$line")
	m=$(sed -n 's/.*; \([0-9]*\)\/128 regions in sync.*/\1/p' <<<"$line")
	[ "$n" -gt 0 ]
	[ "$m" -eq $((128 - n)) ]
	[ "$(wc -w <<<"$list")" -eq "$n" ]
	for r in $list; do [ "$r" -lt 64 ]; done
	# No suspend/resume: node 2's own writes wake its worker, which asks
	# the log for resync work.
	wait_for 2 "$in_sync" 120
	on 2 'kill $(pidof fio); while pidof fio >/dev/null; do sleep 0.2; done
dmsetup status m; dmsetup remove m; kill "$(pidof dirtylogd)"'
	todo=$(on 2 'dmesg | grep "SYNC:230"' | sed -n 's/.*resync started ([^)]*): \([0-9]*\) of 128 .*/\1/p')
	echo "resync started with $todo regions"
	[ "$todo" = "$n" ]
	copied=$(on 2 'dmesg | grep "SYNC:231"' | sed -n 's/.*copied regions \([0-9]*\)-\([0-9]*\).*/\1 \2/p' |
		while read -r a b; do seq "$a" "$b"; done | sort -n | xargs)
	echo "resync copied: $copied"
	[ "$copied" = "$(tr ' ' '\n' <<<"$list" | sort -n | xargs)" ]
	a=$(on 2 "set -- \"\$DISK_legA\"; $prefix")
	b=$(on 2 "set -- \"\$DISK_legB\"; $prefix")
	echo "node 1's blocks on the legs: [0,$a) [0,$b)"
	[ "$a" = "$b" ]
	a=$(on 2 'dd if="$DISK_legA" bs=1M iflag=direct 2>/dev/null | md5sum')
	b=$(on 2 'dd if="$DISK_legB" bs=1M iflag=direct 2>/dev/null | md5sum')
	[ "$a" = "$b" ]
	echo "$log: legs identical after node 1's death: $a"
	on 2 'bbctl log --strict /tmp/bg.dirtylogd.log >/dev/null'
}

boot_node 1 2
corosync_start 1 2
wait_members 2 120 1 2
run_case clustered-disk
on 2 'dd if=/dev/zero of="$DISK_legA" bs=1M oflag=direct 2>/dev/null; dd if=/dev/zero of="$DISK_legB" bs=1M oflag=direct 2>/dev/null; :'
boot_node 1
corosync_start 1
wait_members 2 120 1 2
run_case clustered-core
