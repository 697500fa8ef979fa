#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes from one node to a region another node's resync copies: bb-mirror
# on a clustered-disk log, then on a clustered-core log, active on two
# nodes on fresh legs (leg A random, leg B zero: every region out of
# sync). Node 1 sees leg B through dm-delay (writes 500 ms late), so each
# of its resync copies reads leg A, then writes leg B 500 ms later; node
# 2, its own resync paused, writes every 64 KiB block of the mirror once,
# in random order, while node 1 resyncs at full speed. A write of node 2 that
# reached the legs while node 1 copied its region would be overwritten on
# leg B by the copy's older data, and never written again: the mirror
# must hold such a write until the region is in sync
# (IS_REMOTE_RECOVERING), as dm-raid1 does. Both nodes see 64/64;
# once the writes are done the legs are compared region by region
# (same_legs names the regions that differ); every dirtylogd line is in
# the catalogue (bbctl log --strict).
# nodes: 2
# disks: legA:32M legB:32M log:1M
# modules: dm-mod dm-log dm-log-userspace dm-region-hash dm-delay
# ours: dm-bb-mirror
# timeout: 900
# shellcheck disable=SC2016 # the commands expand in the guests

sync_field='dmsetup status m | awk "{print \$7}"'
in_sync="[ \"\$($sync_field)\" = 64/64 ]"
# Every block once (fio's random map), no two writes in flight.
fio="fio --name=w --filename=/dev/mapper/m --rw=randwrite --bs=64k --size=32M \
--direct=1 --ioengine=psync --randrepeat=0"

run_case() {
	local log=$1 table n s1 s2
	# A slow start (1 KiB/s) so that the writes run before the copies.
	table=$(bbm_create "$log" "bb-race-$log" resync_rate 1 resync_parallel 2)
	on 1 'dd if=/dev/urandom of="$DISK_legA" bs=1M count=32 oflag=direct 2>/dev/null
dd if=/dev/zero of="$DISK_legB" bs=1M count=32 oflag=direct 2>/dev/null
dd if=/dev/zero of="$DISK_log" bs=1M count=1 oflag=direct 2>/dev/null || :'
	on_all ': >/tmp/bg.dirtylogd.log'
	on_all 'dmesg -c >/dev/null'
	on 1 'dmsetup create bdelay --table "0 $(blockdev --getsz "$DISK_legB") delay $DISK_legB 0 0 $DISK_legB 0 500"'
	bg 1 dirtylogd dirtylogd
	on 1 "sleep 1; DISK_legB=/dev/mapper/bdelay; $table"
	bg 2 dirtylogd dirtylogd
	on 2 "sleep 1; $table; dmsetup message m 0 resync pause"
	bg 2 fio "$fio"
	wait_for 2 'pidof fio' 30
	sleep 2
	on 1 'dmsetup message m 0 resync_rate 0'
	wait_for 1 "$in_sync" 300
	wait_for 2 "$in_sync" 300
	bg_wait 2 fio 300 || { on 2 'cat /tmp/bg.fio.log'; exit 1; }
	s1=$(on 1 "$sync_field")
	s2=$(on 2 "$sync_field")
	echo "$log: writes done; sync: node 1 $s1, node 2 $s2"
	[ "$s1" = 64/64 ]
	[ "$s2" = 64/64 ]
	# Node 1 copied regions (SYNC:231).
	on 1 'dmesg | grep "SYNC:231"'
	for n in 1 2; do
		on "$n" 'dmsetup remove m; dmsetup remove bdelay 2>/dev/null; kill "$(pidof dirtylogd)"; while pidof dirtylogd >/dev/null; do sleep 0.2; done
bbctl log --strict /tmp/bg.dirtylogd.log >/dev/null'
	done
	same_legs 1
	echo "$log: node 1 resynced while node 2 wrote; legs identical"
}

boot_node 1 2
corosync_start 1 2
wait_members 2 120 1 2
run_case clustered-disk
run_case clustered-core
