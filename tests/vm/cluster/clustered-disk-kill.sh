#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A mirror on a clustered-disk log (dirtylogd on corosync) active on two
# nodes, each writing its own half; node 1 is killed mid-write, node 2
# turns the regions node 1 had marked out of sync, resyncs them, and the
# legs end identical.
# nodes: 2
# disks: legA:64M legB:64M log:1M
# modules: dm-mirror dm-log dm-log-userspace dm-region-hash
# timeout: 900
# shellcheck disable=SC2016 # the commands expand in the guests

create='sleep 1 # dirtylogd listening
dmsetup create m --table "0 $(blockdev --getsz "$DISK_legA") mirror userspace 4 bb-cluster-m clustered-disk $DISK_log 1024 2 $DISK_legA 0 $DISK_legB 0"'
in_sync='[ "$(dmsetup status m | awk "{print \$7}")" = 128/128 ]'
# writers FIRST_MIB — four fio writers, each in its own 8 MiB from
# FIRST_MIB on: never two writes to one block in flight (a mirror does not
# order overlapping writes across its legs).
writers() {
	echo "fio --name=w --filename=/dev/mapper/m --rw=randwrite --bs=64k --numjobs=4 --size=8M \
--offset=${1}M --offset_increment=8M --time_based --runtime=600 --direct=1 --ioengine=psync --randrepeat=0"
}

boot_node 1 2
corosync_start 1 2
wait_members 2 120 1 2
# dirtylogd as a bg job: its log lands in nodeN-bootK.jobs.log.
bg 1 dirtylogd dirtylogd
on 1 "$create"
wait_for 1 "$in_sync" 180
bg 2 dirtylogd dirtylogd
on 2 "$create"
wait_for 2 "$in_sync" 180
bg 1 fio "$(writers 0)"
bg 2 fio "$(writers 32)"
# Node 1, the lowest id, serves the group and writes the log: killed once
# the log on the disk shows its marks.
# Node 1's own regions (0-63: its 32 MiB) dirty on the disk, not only node
# 2's: the first dirty run of the log begins below region 64.
wait_for 1 'dirtylog inspect "$DISK_log" --region-size 1024 --json |
	grep -Eq "\"dirty\":\[\[([0-9]|[1-5][0-9]|6[0-3]),"' 120
kill_node 1
wait_members 1 120 2
wait_for 2 'grep -q "CPG:352" /tmp/bg.dirtylogd.log' 120
on 2 'grep "CPG:352" /tmp/bg.dirtylogd.log'
on 2 'grep -q "departed: [1-9][0-9]* regions" /tmp/bg.dirtylogd.log' # it had marks
# Node 2's kernel asks for the resync work at its resume (docs/
# clustered-logs.md: it may not ask on its writes alone; here, with
# node 2 writing, 300 s went by without a resync).
on 2 'dmsetup status m; dmsetup suspend m && dmsetup resume m'
wait_for 2 "$in_sync" 300
on 2 'kill $(pidof fio); while pidof fio >/dev/null; do sleep 0.2; done
dmsetup status m
dmsetup remove m
kill "$(pidof dirtylogd)"'
# Direct reads: node 2's page cache may hold what the legs were at boot.
a=$(on 2 'dd if="$DISK_legA" bs=1M iflag=direct 2>/dev/null | md5sum')
b=$(on 2 'dd if="$DISK_legB" bs=1M iflag=direct 2>/dev/null | md5sum')
[ "$a" = "$b" ]
echo "legs identical after node 1's death: $a"
on 2 'bbctl log --strict /tmp/bg.dirtylogd.log >/dev/null' # every dirtylogd line in the catalogue
