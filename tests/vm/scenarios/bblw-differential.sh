#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Differential: one deterministic single-threaded workload (direct writes of
# several sizes, fsync, FUA via RWF_DSYNC and O_DSYNC, discards, marks, a
# write left unflushed at teardown) runs through the in-tree log-writes target
# (log on $DISK_loga) and through bb-log-writes (log on $DISK_logb). The two
# logs must hold the same entries: the guest compares them byte for byte,
# the host check (bblw-differential.host) decodes both entry by entry.
# disks: data:64M loga:32M logb:32M
# modules: dm-log-writes
# ours: dm-bb-log-writes
# timeout: 180
set -e
size=$(blockdev --getsz "$DISK_data")

workload() {
	dev=/dev/mapper/$1
	io() { xfs_io -d -c "$*" "$dev"; }
	io pwrite -q -S 0x11 -b 64k 0 256k
	dmsetup message "$1" 0 mark plain-written
	io fsync
	io pwrite -q -V 1 -D -S 0x22 -b 4k 1m 16k
	io pwrite -q -S 0x33 -b 512 2m 2k
	blkdiscard -o 4194304 -l 1048576 "$dev"
	io pwrite -q -S 0x44 -b 1m 8m 2m
	dmsetup message "$1" 0 mark big-written
	io fsync
	# O_SYNC|O_DIRECT: FUA writes of data that are the same in both runs.
	xfs_io -d -s -c "pwrite -q -i /tmp/rand -b 4k 12288000 32k" "$dev"
	blkdiscard -o 4194304 -l 65536 "$dev"
	io pwrite -q -S 0x66 -b 4k 4m 8k
	io fsync
	io pwrite -q -W -S 0x77 -b 16k 12m 32k
	dmsetup message "$1" 0 mark x
	# Left unflushed: logged at teardown, before the end mark.
	io pwrite -q -S 0x88 -b 4k 16m 4k
	dmsetup status "$1" | tee "$RESULTS/$1.status"
	dmsetup remove "$1"
}

dd if=/dev/urandom of=/tmp/rand bs=4k count=8 2>/dev/null
dmsetup create intree --table "0 $size log-writes $DISK_data $DISK_loga"
workload intree
dmsetup create ours --table "0 $size bb-log-writes $DISK_data $DISK_logb"
workload ours

# Status: the in-tree fields come first and agree.
# shellcheck disable=SC2046 # status fields, split on purpose
set -- $(cat "$RESULTS/intree.status")
intree="$4 $5"
# shellcheck disable=SC2046 # status fields, split on purpose
set -- $(cat "$RESULTS/ours.status")
ours="$4 $5"
echo "status in-tree: $intree, ours: $ours ($*)"
[ "$intree" = "$ours" ] || { echo "status entries/highest sector differ"; exit 1; }
{ [ "$6" = logging ] && [ "$9" = - ] && [ "${10}" = - ]; } || { echo "bad new status fields: $*"; exit 1; }

# Byte for byte: the superblocks' first 28 bytes, then every entry.
highest=$5
dd if="$DISK_loga" of=/tmp/supa bs=28 count=1 2>/dev/null
dd if="$DISK_logb" of=/tmp/supb bs=28 count=1 2>/dev/null
cmp /tmp/supa /tmp/supb
dd if="$DISK_loga" of=/tmp/enta bs=512 skip=1 count="$highest" 2>/dev/null
dd if="$DISK_logb" of=/tmp/entb bs=512 skip=1 count="$highest" 2>/dev/null
cmp /tmp/enta /tmp/entb
echo "logs identical: $highest sectors of entries"

if command -v replay-log >/dev/null; then
	replay-log --no-index --log "$DISK_loga" --dump >"$RESULTS/intree.dump"
	replay-log --no-index --log "$DISK_logb" --dump >"$RESULTS/ours.dump"
	cmp "$RESULTS/intree.dump" "$RESULTS/ours.dump"
	wc -l <"$RESULTS/ours.dump"
fi
