#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults: a leg on dm-flakey failing writes (handle_errors fails it, raises an event, re-add resyncs only what was written; without it, dm-raid1's behaviour side by side with the in-tree mirror), a read error served by the other leg, a failing log device (no features; handle_errors keep_log) as the in-tree mirror does.
# disks: ia:16M ib:16M oa:16M ob:16M ilog:1M olog:1M
# modules: dm-mod dm-log dm-region-hash dm-mirror dm-flakey
# ours: dm-bb-mirror
# timeout: 600
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Every leg and log sits on a dm device of its own ("lin" over the disk),
# whose table is swapped for dm-flakey or dm-error to inject the fault and
# swapped back to end it.
set -e
. "$BB_LIB/bbm.sh"
SZ=$(blockdev --getsz "$DISK_ia")
LSZ=$(blockdev --getsz "$DISK_ilog")
RS=64 # 32 KiB regions: 512 of them

# devices T — the leg and log devices of target T (i: in-tree, o: ours), healthy.
devices() {
	eval "a=\$DISK_${1}a b=\$DISK_${1}b log=\$DISK_${1}log"
	for d in "l0$1 $a" "l1$1 $b" "lg$1 $log"; do
		# shellcheck disable=SC2086 # the leg list split into words
		set -- $d
		dmsetup create "$1" --table "$(linear "$2")"
	done
}
# mirror NAME TARGET T LOGARGS FEATURES — a 2-leg mirror on T's devices.
mirror() {
	dmsetup create "$1" --table "0 $SZ $2 disk $4 2 /dev/mapper/l0$3 0 /dev/mapper/l1$3 0 $5"
}
events() { dmsetup info "$1" | sed -n 's/^Event number: *//p'; }
# write DEV MIB OFFSET_MIB PATTERN — direct writes; must succeed.
# (held writes would hang: 30 s at most).
try_write() { timeout 30 xfs_io -d -c "pwrite -q -S $4 -b 64k $(($3 * 1048576)) $(($2 * 1048576))" "$1"; }
write() { try_write "$@" || fail "write to $1 failed or hung"; }
health_of() { bbm_parse "$1"; echo "$BBM_HEALTH" | cut -c$(($2 + 1)); }
teardown() {
	dmsetup remove_all
	for d in "$DISK_ia" "$DISK_ib" "$DISK_oa" "$DISK_ob" "$DISK_ilog" "$DISK_olog"; do
		blkdiscard "$d"
	done
}

echo "== 1. handle_errors: leg 1 fails writes, is failed, an event is raised; re-added, only the regions written are copied"
devices o
# An all-clean log without an initial resync (nosync), kept by a mirror
# created again without nosync, which readd_leg needs.
mirror m bb-mirror o "3 /dev/mapper/lgo $RS nosync" "1 handle_errors"
dmsetup remove m
mirror m bb-mirror o "2 /dev/mapper/lgo $RS" "1 handle_errors"
ev=$(events m)
swap l1o "$(bad_writes "$DISK_ob")"
write /dev/mapper/m 1 4 0x5a
bbm_parse m
echo "after the failed write: $BBM_RAW"
[ "$BBM_LEGSTATE" = AF ] || fail "leg states $BBM_LEGSTATE after a write error on leg 1 with handle_errors, want AF"
[ "$BBM_HEALTH" = AD ] || fail "health $BBM_HEALTH, want AD"
[ "$(events m)" -gt "$ev" ] || fail "no dm event raised (event number still $ev)"
# Leg 1 gets no more I/O: a second write reaches leg 0 only.
write /dev/mapper/m 1 8 0x5b
swap l1o "$(linear "$DISK_ob")"
dmsetup message m 0 readd_leg 1
bbm_wait_sync m 60
echo "re-added and resynced: $BBM_RAW"
# 2 MiB written in 32 KiB regions while leg 1 was out: 64 regions.
[ "$BBM_COPIED" = 64 ] || fail "the resync copied $BBM_COPIED regions, 64 were written while leg 1 was out"
# The kernel lines (docs/operation-log.md): the write error failed leg 1,
# the re-add made it stale, the resync copied exactly the regions written
# meanwhile (MiB 4 and 8: regions 128-159 and 256-287), leg 1 is current.
dm=$(dmsetup info -c --noheadings -o major,minor m | tr -d ' ')
kline() { dmesg | grep -q "bb-mirror: $dm $1" || fail "no kernel line '$1' for $dm"; }
kline "\[STATE:210\] leg1( current -> failed ) \[write error, handle_errors\]"
kline "\[STATE:211\] leg1( failed -> stale ) \[message readd_leg\]"
kline "\[SYNC:230\] resync started (leg 1 re-added): 64 of 512 regions (2048 KiB) from leg 0 to 1\$"
[ "$(dmesg | grep -c "bb-mirror: $dm \[SYNC:231\] ")" = 2 ] || fail "want two ranges of regions copied"
kline "\[SYNC:231\] resync copied regions 128-159\$"
kline "\[SYNC:231\] resync copied regions 256-287\$"
kline "\[SYNC:236\] resync done: 64 regions, 2048 KiB "
kline "\[STATE:213\] leg1( stale -> current ) \[resync done\]"
dmsetup remove m
[ "$(sum /dev/mapper/l0o)" = "$(sum /dev/mapper/l1o)" ] || fail "legs differ after the re-add"
teardown

echo "== 2. no handle_errors, side by side with the in-tree mirror: write errors on leg 1"
devices i
devices o
mirror intree mirror i "3 /dev/mapper/lgi $RS nosync" ""
mirror ours bb-mirror o "3 /dev/mapper/lgo $RS nosync" ""
for t in i o; do swap "l1$t" "$(bad_writes "$(eval echo "\$DISK_${t}b")")"; done
write /dev/mapper/intree 1 4 0x6a
# (the rate limit check below counts ours' error lines from here on)
dm=$(dmsetup info -c --noheadings -o major,minor ours | tr -d ' ')
t0=$(date +%s)
write /dev/mapper/ours 1 4 0x6a
bbm_parse intree
p1=$BBM_PREFIX
bbm_parse ours
p2=$BBM_PREFIX
echo "in-tree: $p1"
echo "ours:    $p2 (legs $BBM_LEGSTATE)"
[ "$(health_of intree 1)" = D ] || fail "in-tree: leg 1 health $(health_of intree 1), want D"
[ "$(health_of ours 1)" = D ] || fail "bb-mirror: leg 1 health $(health_of ours 1), want D, as the in-tree mirror"
[ "$BBM_LEGSTATE" = AA ] || fail "without handle_errors leg 1 must keep getting I/O, leg states $BBM_LEGSTATE"
# A fault storm: 4 MiB in one go is 128 region-sized bios, each failing on
# leg 1 and each worth a write error line (after the 32 of the write above).
# The per-device rate limit (docs/operation-log.md: 10 lines every 5 s) must
# hold, and say how many lines it dropped (at the next line it lets through,
# or at dtr), so that printed + dropped accounts for every error.
timeout 60 xfs_io -d -c "pwrite -q -S 0x6b -b 4m 8m 4m" /dev/mapper/ours || fail "the 4 MiB write failed or hung"
elapsed=$(($(date +%s) - t0))
for t in i o; do swap "l1$t" "$(linear "$(eval echo "\$DISK_${t}b")")"; done
# Leg 0 has the data in both, the same.
[ "$(dd if=/dev/mapper/l0i bs=1M skip=4 count=1 iflag=direct 2>/dev/null | md5sum)" = \
	"$(dd if=/dev/mapper/l0o bs=1M skip=4 count=1 iflag=direct 2>/dev/null | md5sum)" ] ||
	fail "leg 0 holds different data in the two targets"
teardown
printed=$(dmesg | grep -c "bb-mirror: $dm \[IO:24[0-9]\] " || true)
dropped=$(dmesg | sed -n "s/.*bb-mirror: $dm \[RATE:9\] rate limit: \([0-9]*\) lines dropped .*/\1/p" |
	awk '{ s += $1 } END { print s + 0 }')
echo "fault storm: $printed I/O error lines printed, $dropped dropped and counted, in ${elapsed}s of writes"
[ "$printed" -le $((10 * (elapsed / 5 + 2))) ] || fail "the rate limit let $printed lines through in ${elapsed}s"
[ $((printed + dropped)) -ge 160 ] || fail "160 failed bios, but only $printed printed + $dropped said dropped"
[ "$elapsed" -ge 5 ] || [ "$dropped" -gt 0 ] || fail "a storm of 160 errors in ${elapsed}s dropped nothing"

echo "== 3. a read error on leg 0 is served by leg 1"
devices i
devices o
mirror intree mirror i "3 /dev/mapper/lgi $RS nosync" "1 handle_errors"
mirror ours bb-mirror o "3 /dev/mapper/lgo $RS nosync" "1 handle_errors"
# Random 64 KiB blocks with checksums (fio verify), written while both legs
# are good, read back at random and in parallel, so that reads go to both
# legs (bb-mirror balances them; a sequential read would stay on one).
v() { # v TARGET ARGS... — the verify job on /dev/mapper/TARGET
	t=$1
	shift
	fio --name=v --filename="/dev/mapper/$t" --rw=randwrite --bs=64k --size=16M --ioengine=libaio \
		--iodepth=8 --direct=1 --verify=crc32c --randseed=5 --eta=never "$@"
}
for t in intree ours; do
	v $t --do_verify=0 --output="$RESULTS/verify-$t-write.txt" || fail "$t: writing the blocks"
done
swap l0i "0 $SZ error"
swap l0o "0 $SZ error"
for t in intree ours; do
	v $t --verify_only --output="$RESULTS/verify-$t-read.txt" ||
		fail "$t: reading with leg 0 failing gave other data or an error: $(grep -i 'err\|verify' "$RESULTS/verify-$t-read.txt" | head -n 5)"
	bbm_parse "$t"
	echo "$t after the reads: $BBM_RAW"
done
h=$(health_of ours 0)
[ "$h" = R ] || [ "$h" = D ] || fail "leg 0 health '$h' after read errors: no read went to it, the test proved nothing"
teardown

echo "== 4. the log device fails"
for feat in "" "2 handle_errors keep_log"; do
	echo "-- features: ${feat:-none}"
	devices i
	devices o
	mirror intree mirror i "2 /dev/mapper/lgi $RS" "$feat"
	mirror ours bb-mirror o "2 /dev/mapper/lgo $RS" "$feat"
	bbm_wait_sync intree 60
	bbm_wait_sync ours 60
	swap lgi "0 $LSZ error"
	swap lgo "0 $LSZ error"
	# dm-raid1: with keep_log a write the log could not record fails
	# (EIO); without handle_errors it succeeds. bb-mirror must do the same.
	r1=0 r2=0
	try_write /dev/mapper/intree 1 2 0x7c || r1=$?
	try_write /dev/mapper/ours 1 2 0x7c || r2=$?
	sleep 1
	bbm_parse intree
	p1=$BBM_PREFIX
	bbm_parse ours
	p2=$BBM_PREFIX
	echo "in-tree: write exit $r1, $p1"
	echo "ours:    write exit $r2, $p2"
	[ "$r2" != 124 ] || fail "bb-mirror: the write hung with the log failed"
	if [ "$([ "$r1" = 0 ] && echo ok)" != "$([ "$r2" = 0 ] && echo ok)" ]; then
		fail "with the log failed (features '${feat:-none}') the in-tree mirror's write exits $r1, bb-mirror's $r2"
	fi
	echo "$p2" | grep -q ' disk M D$' || fail "bb-mirror's log status does not show the dead log: $p2"
	[ "$p1" = "$p2" ] || fail "status prefixes differ with a failed log"
	if [ "$r1" = 0 ]; then
		[ "$(dd if=/dev/mapper/ours bs=1M skip=2 count=1 iflag=direct 2>/dev/null | md5sum)" = \
			"$(dd if=/dev/mapper/intree bs=1M skip=2 count=1 iflag=direct 2>/dev/null | md5sum)" ] ||
			fail "the data written with the log failed reads back differently"
	fi
	teardown
done
echo "all fault cases behave"
