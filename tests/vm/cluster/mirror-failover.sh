#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Failover of a mirror on shared legs with a disk log (dirtylogd): node 1
# writes and is killed mid-write, node 2 activates the mirror and resyncs
# the regions node 1's log left dirty; the legs end identical. Node 1 sees
# leg B through dm-delay: writes to the last region wait 600 s, and one
# write there holds that region dirty in the log until the node dies;
# writes elsewhere wait 300 ms. A mark held by the writers alone is not
# enough: dm-raid1 clears a region between two writes to it, and with
# the writers in step (dm-delay ends their writes together) the log on
# the disk was all clean at the kill once on 6.1 without dm-delay and
# once on 6.12 with the 300 ms alone.
# nodes: 2
# disks: legA:64M legB:64M log:1M
# modules: dm-mirror dm-log dm-log-userspace dm-region-hash dm-delay
# timeout: 900
# shellcheck disable=SC2016 # the commands expand in the guests

# One node at a time has the mirror active (a plain disk log is not
# cluster-coherent): the failover of an active/passive pair, and the
# shape of the clustered-log scenarios to come.
create='dirtylogd --pidfile /tmp/dirtylogd.pid 2>/tmp/dirtylogd.log &
sleep 1
kill -0 "$(cat /tmp/dirtylogd.pid)"
dmsetup create m --table "0 $(blockdev --getsz "$DISK_legA") mirror userspace 4 bb-failover disk $DISK_log 1024 2 $DISK_legA 0 $DISK_legB 0"'
in_sync='[ "$(dmsetup status m | awk "{print \$7}")" = 128/128 ]'
# dirty_count — the dirty regions of the disk log, read on the host.
dirty_count() {
	"$BB_BIN/dirtylog" inspect "$BB_SCENARIO_OUT/log.img" --region-size 1024 >&2
	"$BB_BIN/dirtylog" inspect "$BB_SCENARIO_OUT/log.img" --region-size 1024 --json |
		sed -n 's/.*"dirty_count":\([0-9]*\).*/\1/p'
}

boot_node 1 2
on 1 'dmsetup create bdelay --table "0 $(blockdev --getsz "$DISK_legB") delay $DISK_legB 0 0 $DISK_legB 0 300"'
on 1 "DISK_legB=/dev/mapper/bdelay; $create"
wait_for 1 "$in_sync" 180
# Once in sync, node 1's leg B: sectors 0-130047 (regions 0-126) written
# 300 ms late, the last region (sectors 130048-131071) 600 s late.
on 1 'sz=$(blockdev --getsz "$DISK_legB")
[ "$sz" = 131072 ] || { echo "leg B has $sz sectors, not 131072" >&2; exit 1; }
printf "0 130048 delay %s 0 0 %s 0 300\n130048 1024 delay %s 130048 0 %s 130048 600000\n" \
	"$DISK_legB" "$DISK_legB" "$DISK_legB" "$DISK_legB" | dmsetup load bdelay
dmsetup suspend bdelay
dmsetup resume bdelay
dmsetup table bdelay'
# Eight writers, each in its own 7 MiB of 0-63 MiB: regions marked at the
# kill, and never two writes to one block in flight (a mirror does not
# order overlapping writes across its legs: they would end different
# legally). One write of 64 KiB to the last region, which stays in flight.
bg 1 pinned dd if=/dev/urandom of=/dev/mapper/m bs=64k seek=1016 count=1 oflag=direct
bg 1 fio fio --name=w --filename=/dev/mapper/m --rw=randwrite --bs=64k --numjobs=8 \
	--size=7M --offset_increment=8M --time_based --runtime=600 --direct=1 --ioengine=psync --randrepeat=0
# Killed once the writers have written 32 blocks (the mirror's completed
# writes) and the log on the disk (read with O_DIRECT) has the last region
# marked: it stays marked while its write waits on leg B.
wait_for 1 '[ "$(awk "{print \$5}" "/sys/dev/block/$(dmsetup info -c --noheadings -o major,minor m)/stat")" -ge 32 ]' 120
wait_for 1 'dirtylog inspect "$DISK_log" --region-size 1024 --json | grep -q "\"state\":\"dirty\",\"first\":[0-9]*,\"last\":127}"' 120
kill_node 1
dirty=$(dirty_count)
echo "node 1 killed with $dirty regions dirty in the log"
[ "$dirty" -gt 0 ]
"$BB_BIN/dirtylog" inspect "$BB_SCENARIO_OUT/log.img" --region-size 1024 --json |
	grep -q '"state":"dirty","first":[0-9]*,"last":127}'

on 2 "$create"
wait_for 2 "$in_sync" 300
on 2 'dmsetup status m; dmsetup remove m; kill "$(cat /tmp/dirtylogd.pid)"'
[ "$(dirty_count)" = 0 ]
# Direct reads: node 2's page cache may hold what the legs were at boot.
a=$(on 2 'dd if="$DISK_legA" bs=1M iflag=direct 2>/dev/null | md5sum')
b=$(on 2 'dd if="$DISK_legB" bs=1M iflag=direct 2>/dev/null | md5sum')
[ "$a" = "$b" ]
echo "legs identical after the failover: $a"
on 2 'bbctl log --strict /tmp/dirtylogd.log >/dev/null' # every dirtylogd line in the catalogue
