#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A third node joins a clustered log while two others write: bb-mirror on
# a clustered-disk log, then on a clustered-core log, created on nodes 1
# and 2 on fresh legs (every region out of sync) with a slow resync
# (resync_rate 128 KiB/s, about 4 s a region), each node writing its own
# half with fio. Node 3's dirtylogd joins the log's group while the
# writes and the resync run and imports the checkpoint (CPG:354). With
# the resync paused on all three, the three nodes report the same sync
# count, strictly between 0 and 128 — a count only the imported state
# gives (a node starting on its own would say 0/128) — and see 3 members
# in the group; the resync then resumes at full speed, all three reach
# 128/128 with the writes still running, the legs end byte-identical and
# every dirtylogd line is in the catalogue (bbctl log --strict).
# nodes: 3
# disks: legA:64M legB:64M log:1M
# modules: dm-mod dm-log dm-log-userspace dm-region-hash
# ours: dm-bb-mirror
# timeout: 900
# shellcheck disable=SC2016 # the commands expand in the guests

sync_field='dmsetup status m | awk "{print \$7}"'
in_sync="[ \"\$($sync_field)\" = 128/128 ]"
some_sync="[ \"\$($sync_field | cut -d/ -f1)\" -gt 0 ]"
# fio FIRST_MIB — two writers in their own 16 MiB each from FIRST_MIB.
fio_at() {
	echo "fio --name=w --filename=/dev/mapper/m --rw=randwrite --bs=64k --numjobs=2 --size=16M \
--offset=${1}M --offset_increment=16M --time_based --runtime=600 --direct=1 --ioengine=psync --randrepeat=0"
}

# same_sync — the three nodes' sync fields, equal and printed; the count.
same_sync() {
	local s1 s2 s3
	s1=$(on 1 "$sync_field")
	s2=$(on 2 "$sync_field")
	s3=$(on 3 "$sync_field")
	echo "sync: node 1 $s1, node 2 $s2, node 3 $s3" >&2
	[ "$s1" = "$s2" ] && [ "$s2" = "$s3" ] || return 1
	echo "${s1%/*}"
}

# group_members N — how many members node N's dirtylogd last saw in the
# log's group (its last CPG:350 line: "members( 1:281,2:294 ) ...").
group_members() {
	on "$1" 'grep "CPG:350" /tmp/bg.dirtylogd.log | tail -n1' |
		sed -n 's/.*members( \([^ ]*\) ).*/\1/p' | tr ',' '\n' | grep -c .
}

run_case() {
	local log=$1 table a b n count
	table=$(bbm_create "$log" "bb-join-$log" resync_rate 128 resync_parallel 1)
	# Fresh legs and log: every region out of sync, a resync to do.
	on 1 'dd if=/dev/urandom of="$DISK_legA" bs=1M count=64 oflag=direct 2>/dev/null
dd if=/dev/zero of="$DISK_legB" bs=1M count=64 oflag=direct 2>/dev/null
dd if=/dev/zero of="$DISK_log" bs=1M count=1 oflag=direct 2>/dev/null || :'
	on_all ': >/tmp/bg.dirtylogd.log'
	for n in 1 2; do
		bg "$n" dirtylogd dirtylogd
		on "$n" "sleep 1; $table"
	done
	wait_for 1 "$some_sync" 60
	bg 1 fio "$(fio_at 0)"
	bg 2 fio "$(fio_at 32)"
	sleep 2
	# Node 3 joins while nodes 1 and 2 write and resync.
	bg 3 dirtylogd dirtylogd
	on 3 "sleep 1; $table"
	wait_for 3 'grep -q "CPG:354" /tmp/bg.dirtylogd.log' 120
	on 3 'grep "CPG:354" /tmp/bg.dirtylogd.log'
	for n in 1 2 3; do
		wait_for "$n" 'grep "CPG:350" /tmp/bg.dirtylogd.log | tail -n1 | grep -q "members( [0-9:]*,[0-9:]*,[0-9:]* )"' 60
		[ "$(group_members "$n")" = 3 ] || { echo "node $n's dirtylogd sees $(group_members "$n") members"; exit 1; }
	done
	# Paused everywhere (copies in flight finish), the count stands still.
	on_all 'dmsetup message m 0 resync pause'
	sleep 3
	count=$(same_sync)
	echo "$log: paused with $count/128 regions in sync on all three nodes"
	[ "$count" -gt 0 ]
	[ "$count" -lt 128 ]
	sleep 2
	[ "$(same_sync)" = "$count" ]
	on_all 'dmsetup message m 0 resync_rate 0; dmsetup message m 0 resync resume'
	for n in 1 2 3; do
		wait_for "$n" "$in_sync" 180
	done
	[ "$(same_sync)" = 128 ]
	on_all 'kill $(pidof fio) 2>/dev/null; while pidof fio >/dev/null; do sleep 0.2; done; :'
	[ "$(same_sync)" = 128 ]
	for n in 1 2 3; do
		on "$n" 'dmsetup remove m; kill "$(pidof dirtylogd)"; while pidof dirtylogd >/dev/null; do sleep 0.2; done
bbctl log --strict /tmp/bg.dirtylogd.log >/dev/null'
	done
	a=$(on 3 'dd if="$DISK_legA" bs=1M iflag=direct 2>/dev/null | md5sum')
	b=$(on 3 'dd if="$DISK_legB" bs=1M iflag=direct 2>/dev/null | md5sum')
	[ "$a" = "$b" ]
	echo "$log: node 3 joined during the writes and the resync; legs identical: $a"
}

boot_node 1 2 3
corosync_start 1 2 3
wait_members 3 120 1 2 3
run_case clustered-disk
run_case clustered-core
