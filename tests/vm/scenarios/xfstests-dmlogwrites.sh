#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The xfstests drop-in: bb-log-writes loaded with log_writes_alias=1 answers to "log-writes"; common/dmlogwrites' dmsetup and replay-log lines run unchanged.
# disks: scratch:256M logw:512M replay:256M
# modules: dm-log-writes
# ours: dm-bb-log-writes
# timeout: 300
set -e
# The lines below are those of xfstests' common/dmlogwrites (_log_writes_init,
# _log_writes_mark, _log_writes_remove, _log_writes_replay_log,
# _log_writes_mark_to_entry_number, _log_writes_find_next_fua,
# _log_writes_replay_log_range) and of btrfs/192 (--check fua --fsck), with
# its variables set as xfstests sets them.
SCRATCH_DEV=$DISK_scratch
LOGWRITES_DEV=$DISK_logw
REPLAY_DEV=$DISK_replay
LOGWRITES_NAME=logwrites-test
LOGWRITES_DMDEV=/dev/mapper/$LOGWRITES_NAME
DMSETUP_PROG=dmsetup
fail() { echo "FAIL: $*" >&2; exit 1; }

# "# ours:" loaded the module without the alias, "# modules:" the in-tree
# log-writes: with the in-tree target loaded the alias must be refused.
rmmod dm_bb_log_writes
if insmod "$BB_MODDIR/dm-bb-log-writes.ko" log_writes_alias=1 2>/dev/null; then
	fail "loaded with log_writes_alias=1 while the in-tree log-writes was registered"
fi
dmesg | grep -q 'bb-log-writes: - \[MOD:101\] cannot register the alias log-writes' ||
	fail "no kernel log line naming the refused alias"
dmsetup targets | grep -q '^bb-log-writes ' && fail "bb-log-writes left registered after the failed load"
rmmod dm_log_writes
insmod "$BB_MODDIR/dm-bb-log-writes.ko" log_writes_alias=1
# xfstests' _require_dm_target log-writes: modprobe, then this line.
$DMSETUP_PROG targets 2>&1 | grep -q ^log-writes || fail "no log-writes target"
[ "$(cat /sys/module/dm_bb_log_writes/parameters/log_writes_alias)" = Y ]
dmesg | grep -q 'bb-log-writes: - \[MOD:100\] also registered as log-writes' || fail "no kernel log line for the alias"
# xfstests' "modprobe dm-log-writes" now fails: the name is ours.
intree=/lib/modules/intree/$(tail -n1 /lib/modules/intree/dm-log-writes.deps)
if insmod "$intree" 2>/dev/null; then fail "the in-tree log-writes loaded beside the alias"; fi
dmsetup targets

# _log_writes_init $SCRATCH_DEV
BLK_DEV_SIZE=$(blockdev --getsz "$SCRATCH_DEV")
LOGWRITES_TABLE="0 $BLK_DEV_SIZE log-writes $SCRATCH_DEV $LOGWRITES_DEV"
$DMSETUP_PROG create "$LOGWRITES_NAME" --table "$LOGWRITES_TABLE"
# The in-tree module is gone, so this is our target behind the name.
$DMSETUP_PROG table "$LOGWRITES_NAME" | grep -q ' log-writes '
$DMSETUP_PROG status "$LOGWRITES_NAME"
# _log_writes_mkfs (btrfs, as btrfs/192), then _log_writes_mark mkfs
mkfs.btrfs -f -q "$LOGWRITES_DMDEV"
$DMSETUP_PROG message "$LOGWRITES_NAME" 0 mark mkfs
mount "$LOGWRITES_DMDEV" /mnt
for i in 1 2 3; do
	dd if=/dev/urandom of=/mnt/testfile$i bs=64k count=$((i * 4)) 2>/dev/null
	xfs_io -c fsync /mnt/testfile$i
	md5sum /mnt/testfile$i | cut -d' ' -f1 >/tmp/testfile$i.md5
	$DMSETUP_PROG message "$LOGWRITES_NAME" 0 mark testfile$i.mark
done
$DMSETUP_PROG message "$LOGWRITES_NAME" 0 mark last
umount /mnt
$DMSETUP_PROG message "$LOGWRITES_NAME" 0 mark end
# _log_writes_remove
$DMSETUP_PROG remove "$LOGWRITES_NAME"
dmsetup targets | grep -q '^log-writes ' || fail "alias gone after remove"

# _log_writes_replay_log <mark> $REPLAY_DEV, then mount and compare (generic/455)
replay_log() {
	replay-log --log "$LOGWRITES_DEV" --find --end-mark "$1" >/dev/null ||
		fail "mark '$1' does not exist"
	replay-log --log "$LOGWRITES_DEV" --replay "$REPLAY_DEV" --end-mark "$1" ||
		fail "replay failed"
}
for i in 3 1 2; do
	replay_log testfile$i.mark
	mount "$REPLAY_DEV" /mnt
	[ "$(md5sum /mnt/testfile$i | cut -d' ' -f1)" = "$(cat /tmp/testfile$i.md5)" ] ||
		fail "testfile$i differs at its mark"
	# a later file does not exist yet at this mark
	[ $i = 3 ] || [ ! -e /mnt/testfile$((i + 1)) ] || fail "testfile$((i + 1)) exists at testfile$i.mark"
	umount /mnt
	btrfs check "$REPLAY_DEV" >/dev/null 2>&1 || fail "btrfs check at testfile$i.mark"
	echo "replayed to testfile$i.mark: data and filesystem good"
done
replay_log end
btrfs check "$REPLAY_DEV" >/dev/null 2>&1 || fail "btrfs check at end"

# generic/482: from the mkfs mark, every FUA: replay 0..cur, check (the
# first three FUAs, to keep the scenario short)
prev=$(replay-log --log "$LOGWRITES_DEV" --find --end-mark mkfs | cut -f1 -d@)
[ -n "$prev" ] || fail "mkfs mark has no entry number"
n=0
cur=$(replay-log --find --log "$LOGWRITES_DEV" --next-fua --start-entry "$prev" | cut -f1 -d@) || cur=
while [ -n "$cur" ] && [ $n -lt 3 ]; do
	replay-log -vv --log "$LOGWRITES_DEV" --replay "$REPLAY_DEV" --limit $((cur + 1)) >/tmp/range.log 2>&1 ||
		fail "replay to entry $cur"
	btrfs check "$REPLAY_DEV" >/dev/null 2>&1 || fail "btrfs check at FUA entry $cur"
	echo "FUA entry $cur: filesystem good"
	n=$((n + 1))
	cur=$(replay-log --find --log "$LOGWRITES_DEV" --next-fua --start-entry $((cur + 1)) | cut -f1 -d@) || cur=
done
[ $n -gt 0 ] || fail "no FUA entry after the mkfs mark"

# btrfs/192: replay to mkfs, then from there with a check at every FUA
replay_log mkfs
replay-log --log "$LOGWRITES_DEV" --replay "$REPLAY_DEV" --start-mark mkfs \
	--check fua --fsck "btrfs check $REPLAY_DEV" >/tmp/check.log 2>&1 ||
	{ tail -n 20 /tmp/check.log; fail "replay-log --check fua --fsck"; }
checks=$(grep -c 'Checking filesystem on' /tmp/check.log || true)
[ "$checks" -gt 0 ] || fail "--check fua ran no check"
echo "--check fua --fsck: $checks checks, all good"
cp /tmp/check.log "$RESULTS/"

# Unload: both names go; the shared guest gets the plain module back from
# the next "# ours:" header.
rmmod dm_bb_log_writes
if dmsetup targets | grep -q -e '^log-writes ' -e '^bb-log-writes '; then
	fail "a target name is still registered after rmmod"
fi
