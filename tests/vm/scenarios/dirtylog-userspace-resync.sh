#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dirtylogd core logs: a nosync mirror starts in sync; a default one resyncs differing legs to identical, watched through status.
# disks: ra:32M rb:32M
# modules: dm-mirror dm-log dm-log-userspace dm-region-hash
# timeout: 300
set -e
export DM_DISABLE_UDEV=1
SZ=$(blockdev --getsz "$DISK_ra")
RS=512
N=$(( (SZ + RS - 1) / RS ))
dirtylogd --pidfile "$RESULTS/dirtylogd.pid" 2>"$RESULTS/dirtylogd.log" &
sleep 1
sync_field() { dmsetup status "$1" | awk '{print $7}'; }

# Legs differ: random data on the primary only.
dd if=/dev/urandom of="$DISK_ra" bs=1M count=32 2>/dev/null

dmsetup create un --table "0 $SZ mirror userspace 4 bb-dirtylog-un core $RS nosync 2 $DISK_ra 0 $DISK_rb 0"
first=$(sync_field un)
echo "nosync: $first"
[ "$first" = "$N/$N" ] || { echo "nosync mirror not in sync at once"; exit 1; }
dmsetup status un
dmsetup table un | grep -q "userspace" || exit 1
dmsetup remove un
cmp -s "$DISK_ra" "$DISK_rb" && { echo "nosync must not have copied anything"; exit 1; }

# Slow the copy so the progress shows.
echo 10 >/sys/module/dm_mirror/parameters/raid1_resync_throttle
dmsetup create ur --table "0 $SZ mirror userspace 3 bb-dirtylog-ur core $RS 2 $DISK_ra 0 $DISK_rb 0"
i=0
: >"$RESULTS/progress.txt"
while [ "$(sync_field ur)" != "$N/$N" ]; do
	sync_field ur >>"$RESULTS/progress.txt"
	i=$((i + 1))
	[ $i -le 240 ] || { echo "resync stuck: $(dmsetup status ur)"; exit 1; }
	sleep 0.5
done
echo 100 >/sys/module/dm_mirror/parameters/raid1_resync_throttle
echo "progress: $(tr '\n' ' ' <"$RESULTS/progress.txt")"
first=$(head -n1 "$RESULTS/progress.txt" | cut -d/ -f1)
{ [ -n "$first" ] && [ "$first" -lt "$N" ]; } || { echo "never saw the resync in progress"; exit 1; }
dmsetup status ur
dmsetup remove ur
cmp "$DISK_ra" "$DISK_rb"
echo "legs identical after resync"
kill "$(cat "$RESULTS/dirtylogd.pid")"
sleep 1
cat "$RESULTS/dirtylogd.log"
grep -q "ylog-ur/[0-9]* \[STATE:315\] sync( recovering -> in-sync ) \[DM_ULOG_[A-Z_]*\] $N/$N regions" \
	"$RESULTS/dirtylogd.log"
# The timeline of the log: created, resumed, in sync, destroyed; every
# command done.
bbctl log --strict "$RESULTS/dirtylogd.log" >"$RESULTS/timeline.txt"
cat "$RESULTS/timeline.txt"
grep -q "NEVER DONE" "$RESULTS/timeline.txt" && exit 1
grep -q "log: suspended -> destroyed \[DM_ULOG_DTR\]" "$RESULTS/timeline.txt"
