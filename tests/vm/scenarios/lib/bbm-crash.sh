# SPDX-License-Identifier: GPL-2.0-or-later
# The phases of bbm-crash (bbm-crash.sh, -2, -3): one bb-mirror with a disk
# log on the same disks across three boots, the first two ending in a hard
# power-off while a leg is failed and writes run (docs/TESTING.md, "Power
# off and boot again").
#
# Writers fsync each file they write and only then record its number on the
# raw disk "man" (O_DIRECT, sector 0: "<phase> <last fsynced file>"), so
# the next boot knows which files were acknowledged durable and must read
# back intact; files after that one may be lost or torn.
. "$BB_LIB/bbm.sh"
SZ=$(blockdev --getsz "$DISK_c0")
RS=64 # 32 KiB regions: 1024 of them
N=$((SZ / RS))
TABLE="0 $SZ bb-mirror disk 2 $DISK_clog $RS 2 $DISK_c0 0 $DISK_c1 0 1 handle_errors"

content() { yes "bbm-crash phase $1 file $2" | head -c 65536; }

# writers PHASE — fsync'ed files and unsynced bulk writes, in the background.
writers() {
	mkdir -p "/mnt/m/p$1"
	(
		n=0
		while :; do
			n=$((n + 1))
			content "$1" $n | dd of="/mnt/m/p$1/f$n" bs=64k conv=fsync 2>/dev/null || exit 0
			echo "$1 $n" | dd of="$DISK_man" bs=512 conv=sync oflag=direct 2>/dev/null
		done
	) &
	(
		while :; do
			# In place: the same blocks, unsynced, again and again.
			dd if=/dev/urandom of=/mnt/m/bulk bs=64k count=16 conv=notrunc 2>/dev/null || exit 0
		done
	) &
}

# crash_with_leg_failed LEG PHASE — fail LEG, write, power off with the
# writers running and nothing torn down.
crash_with_leg_failed() {
	dmsetup message m 0 fail_leg "$1"
	bbm_parse m
	echo "leg $1 failed: $BBM_RAW"
	writers "$2"
	sleep 4
	bbm_parse m
	echo "powering off with $((BBM_TOTAL - BBM_INSYNC)) regions out of sync: $BBM_RAW"
	echo "phase $2: $(dd if="$DISK_man" bs=512 count=1 2>/dev/null | head -n1) files fsync'ed so far"
	[ "$BBM_INSYNC" -lt "$BBM_TOTAL" ] || fail "no region out of sync while leg $1 is failed"
	: >/run/bb-poweroff
}

# check_files PHASE [SECTOR] — every file PHASE's writers fsync'ed reads
# back intact (their count is in sector 0 of "man", or SECTOR: phase 2
# keeps phase 1's in sector 1).
check_files() {
	# shellcheck disable=SC2046 # the record split into its fields
	set -- $(dd if="$DISK_man" bs=512 skip="${2:-0}" count=1 2>/dev/null | head -n1) "$1"
	[ "$1" = "$3" ] || fail "the manifest disk names phase '$1', want $3"
	[ "$2" -ge 1 ] || fail "phase $3 fsync'ed no file before the power-off"
	i=1
	while [ $i -le "$2" ]; do
		[ "$(content "$3" $i | md5sum)" = "$(md5sum <"/mnt/m/p$3/f$i")" ] ||
			fail "/mnt/m/p$3/f$i, fsync'ed before the power-off, reads back wrong"
		i=$((i + 1))
	done
	echo "phase $3: all $2 fsync'ed files intact"
}

# recover STALE CURRENT — after the power-off: the dirty log holds D regions
# out of sync; create the mirror with the same table; it must copy exactly D
# regions from CURRENT to STALE, leave CURRENT's bytes as they were and make
# the legs identical. Then mount, check every fsync'ed file, fsck.
recover() {
	stale=$1 current=$2
	eval "dstale=\$DISK_c$stale dcurrent=\$DISK_c$current"
	dirtylog inspect "$DISK_clog" --region-size $RS --device-sectors "$SZ" --json >"$RESULTS/log-before.json"
	insync=$(sed -n 's/.*"sync_count":\([0-9]*\),.*/\1/p' "$RESULTS/log-before.json")
	[ -n "$insync" ] || fail "no sync_count in $(cat "$RESULTS/log-before.json")"
	d=$((N - insync))
	echo "the disk log after the power-off: $d of $N regions out of sync"
	{ [ "$d" -gt 0 ] && [ "$d" -lt "$N" ]; } || fail "$d regions out of sync: want some, not all"
	before=$(sum "$dcurrent")
	[ "$before" != "$(sum "$dstale")" ] || fail "the legs are identical already: nothing was written while leg $stale was failed"

	dmsetup create m --table "$TABLE"
	bbm_parse m
	echo "created: $BBM_RAW"
	if [ "$BBM_STATE" = running ]; then
		[ "$BBM_SOURCE" = "$current" ] || fail "resyncing from leg $BBM_SOURCE, want leg $current"
		[ "$(echo "$BBM_LEGSTATE" | cut -c$((stale + 1)))" = S ] || fail "leg $stale is not stale: $BBM_LEGSTATE"
	fi
	bbm_wait_sync m 60
	echo "resynced: $BBM_RAW"
	[ "$BBM_COPIED" = "$d" ] || fail "the resync copied $BBM_COPIED regions, $d were out of sync"
	[ "$(sum "$dcurrent")" = "$before" ] || fail "the resync changed leg $current, the current one: it copied the wrong way"
	[ "$(sum "$dstale")" = "$before" ] || fail "leg $stale differs from leg $current after the resync"
	echo "leg $current -> leg $stale: $d regions copied, leg $current untouched, legs identical"
	dmesg | grep bb-mirror | tee -a "$RESULTS/kernel-lines.txt" || true

	mkdir -p /mnt/m
	mount -o noatime /dev/mapper/m /mnt/m
}
