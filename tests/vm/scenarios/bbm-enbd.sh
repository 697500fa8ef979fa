#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The ENBD walkthrough on bb-mirror: ext4 mounted on 2 legs with a disk log; fail_leg 1, write 1 MiB and small files, readd_leg 1; the resync (recorded on leg 1 by log-writes) copies exactly the regions written meanwhile (bbm-enbd.host), finishes, legs identical, fsck clean, mounted throughout.
# disks: l0:32M l1:32M log:1M rec1:64M recm:64M
# modules: dm-mod dm-log dm-region-hash dm-log-writes
# ours: dm-bb-mirror
# timeout: 450
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Leg 1 is a log-writes device over the real disk (log on rec1): every
# write leg 1 gets, the resync's included, is recorded. The filesystem sits
# on a log-writes device over the mirror (log on recm), so the writes the
# filesystem made while leg 1 was out are recorded too. Marks bracket the
# windows: on recm "fault" (after fail_leg) .. "readd" (before readd_leg)
# .. "resynced"; on rec1 "readd" .. "resynced". The host check maps both
# windows to regions and compares the sets.
set -e
. "$BB_LIB/bbm.sh"
SZ=$(blockdev --getsz "$DISK_l0")
RS=64 # 32 KiB regions: 1024 of them
N=$((SZ / RS))
echo "$RS $N" >"$RESULTS/params"
mark() { dmsetup message "$1" 0 mark "$2"; }

dmsetup create lw1 --table "0 $SZ log-writes $DISK_l1 $DISK_rec1"
# Blank legs need no initial resync: nosync writes an all-clean log, then
# the mirror is created again without it (readd_leg needs a log that keeps
# what is out of sync, which a nosync disk log does not).
dmsetup create m --table "0 $SZ bb-mirror disk 3 $DISK_log $RS nosync 2 $DISK_l0 0 /dev/mapper/lw1 0 1 handle_errors"
dmsetup remove m
dmsetup create m --table "0 $SZ bb-mirror disk 2 $DISK_log $RS 2 $DISK_l0 0 /dev/mapper/lw1 0 1 handle_errors"
bbm_parse m
[ "$BBM_INSYNC" = "$N" ] || fail "the clean log was not kept: $BBM_RAW"
dmsetup create lwm --table "0 $SZ log-writes /dev/mapper/m $DISK_recm"
# No lazy initialisation: nothing but our writes while the leg is out.
mkfs.ext4 -q -b 1024 -E lazy_itable_init=0,lazy_journal_init=0,nodiscard /dev/mapper/lwm
mkdir -p /mnt/m
mount -o noatime,commit=600 /dev/mapper/lwm /mnt/m
for i in 1 2 3 4 5; do echo "before the fault $i" >"/mnt/m/old$i"; done
sync
dmsetup status m

echo "== fail_leg 1"
dmsetup message m 0 fail_leg 1
mark lwm fault
bbm_parse m
echo "$BBM_RAW"
[ "$BBM_LEGSTATE" = AF ] || fail "leg states $BBM_LEGSTATE after fail_leg 1, want AF"
[ "$BBM_HEALTH" = AD ] || fail "health $BBM_HEALTH after fail_leg 1, want AD (dm-raid1's letter for a failed leg)"
dd if=/dev/urandom of=/mnt/m/big bs=64k count=16 2>/dev/null
for i in 1 2 3 4 5 6; do echo "small file $i, written while leg 1 was out" >"/mnt/m/new$i"; done
sync
bbm_parse m
echo "after the writes: $BBM_RAW"
dirty=$((BBM_TOTAL - BBM_INSYNC))
[ "$dirty" -gt 16 ] || fail "only $dirty regions out of sync after writing 1 MiB"
[ "$dirty" -lt $((N / 4)) ] || fail "$dirty of $N regions out of sync: far more than was written"
md5sum /mnt/m/big /mnt/m/new* /mnt/m/old* >/tmp/sums

echo "== readd_leg 1 ($dirty regions to copy), throttled to watch it"
dmsetup message m 0 resync_rate 256
mark lwm readd
mark lw1 readd
dmsetup message m 0 readd_leg 1
seen=""
i=0
while :; do
	bbm_parse m
	case $BBM_STATE in
	running)
		[ -n "$seen" ] || echo "running: $BBM_RAW"
		seen=1
		[ "$BBM_LEGSTATE" = AS ] || fail "leg states $BBM_LEGSTATE during the resync, want AS"
		[ "$BBM_SOURCE" = 0 ] || fail "resync source $BBM_SOURCE, want 0"
		;;
	# Done when the legs are current too: a stale leg turns current only
	# once the leg state block says so, a moment after the resync's end
	# (CI once read "idle", every region in sync and leg 1 still S).
	idle) [ "$BBM_INSYNC" = "$BBM_TOTAL" ] && [ "$BBM_LEGSTATE" = AA ] && break ;;
	esac
	# Mounted and readable throughout.
	grep -q ' /mnt/m ' /proc/mounts || fail "unmounted during the resync"
	md5sum -c -s /tmp/sums || fail "files read back wrong during the resync"
	i=$((i + 1))
	[ $i -lt 240 ] || fail "resync not done after 60 s: $BBM_RAW"
	[ $i != 12 ] || dmsetup message m 0 resync_rate 0
	sleep 0.25
done
[ -n "$seen" ] || fail "never saw the resync running (rate limit 256 KiB/s, $dirty regions)"
mark lw1 resynced
mark lwm resynced
echo "resynced: $BBM_RAW"
[ "$BBM_LEGSTATE" = AA ] || fail "leg states $BBM_LEGSTATE after the resync"
[ "$BBM_COPIED" = "$dirty" ] || fail "resync copied $BBM_COPIED regions, $dirty were out of sync"
grep -q ' /mnt/m ' /proc/mounts || fail "unmounted"
md5sum -c -s /tmp/sums || fail "files read back wrong after the resync"
umount /mnt/m
dmsetup remove lwm
e2fsck -fn /dev/mapper/m >"$RESULTS/fsck.txt" 2>&1 || { cat "$RESULTS/fsck.txt"; fail "fsck"; }
dmsetup remove m
dmsetup remove lw1
[ "$(sum "$DISK_l0")" = "$(sum "$DISK_l1")" ] || fail "legs differ after the resync"
echo "legs identical, fsck clean"
dmesg | grep bb-mirror | tee "$RESULTS/kernel-lines.txt"
