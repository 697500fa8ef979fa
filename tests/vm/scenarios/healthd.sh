#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-healthd on a bb-mirror under ext4: a leg made slower than the probe timeout (dm-delay) is failed within a probe interval plus the timeout while writes go on, re-added after N good probes with a resync of only the dirty regions; a leg on dm-error failed by the kernel is seen at the dm event, before the next probe; a flapping leg gets action_limit_max actions then HOLD; the user's program gets each event, and is killed past its timeout; a bb-log-writes log that fills up is reported; SIGKILL gives CRASH at the next start; observe_only changes nothing; log naming, renaming, retention and the configuration header; a bad configuration exits 2.
# disks: a:48M b:48M lg:1M ld:8M lw:1M
# modules: dm-mod dm-log dm-region-hash dm-delay
# ours: dm-bb-mirror dm-bb-log-writes
# timeout: 600
set -e
export DM_DISABLE_UDEV=1
. "$BB_LIB/bbm.sh"
SZ=$(blockdev --getsz "$DISK_a")
RS=128 # 64 KiB regions
LOGDIR=/tmp/hd
DELAY_MS=3000
mkdir -p "$LOGDIR" /mnt/m

stop_all() {
	if [ -n "${HD:-}" ]; then kill "$HD" 2>/dev/null || true; fi
	touch /tmp/stop-writer
	cp -r "$LOGDIR" "$RESULTS/healthd-logs" 2>/dev/null || true
}
trap stop_all EXIT

# conf FILE "KEY = VALUE"... — a configuration: the lines given, and the
# scenario's defaults for the keys they do not set.
conf() {
	_f=$1
	shift
	{
		echo "# healthd.sh"
		for kv in "$@"; do echo "$kv"; done
		for kv in "probe_interval = 1s" "probe_timeout = 1s" "readd_after_good_probes = 3" "log_dir = $LOGDIR"; do
			case " $* " in *" ${kv%% *} "*) ;; *) echo "$kv" ;; esac
		done
	} >"$_f"
}
current() { ls "$LOGDIR"/bb-healthd-*.out 2>/dev/null || true; }
# start CONF [NAMES] — a run of bb-healthd; waits until its own .out (not
# the last run's) says it watches m.
start() {
	_prev=$(current)
	bb-healthd --config "$@" 2>>"$RESULTS/healthd-stderr.log" &
	HD=$!
	_i=0
	while [ -z "$(current)" ] || [ "$(current)" = "$_prev" ]; do
		_i=$((_i + 1))
		[ $_i -le 100 ] || fail "bb-healthd made no new log file in 10 s"
		sleep 0.1
	done
	wait_line 'OpMsg=WATCH Type=MIRROR Device=m Legs=2' 20
}
# wait_line PATTERN SECONDS — until the run's file has a line matching PATTERN (grep -E).
wait_line() {
	_i=0
	until grep -qE "$1" "$(current)" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -le $((10 * $2)) ] || fail "no line /$1/ in $(current) after $2 s: $(tail -n 5 "$(current)")"
		sleep 0.1
	done
}
count() { grep -cE "$1" "$2" || true; }
legstates() { bbm_parse m; echo "$BBM_LEGSTATE"; }
slow() { swap l1 "0 $SZ delay $DISK_b 0 $DELAY_MS"; }
fast() { swap l1 "$(linear "$DISK_b")"; }
stop_hd() {
	kill -TERM "$HD"
	wait "$HD" || fail "bb-healthd exited $? after SIGTERM"
	HD=
}
# elapsed T0 — hundredths of a second since T0 (a now() value).
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%d", (b - a) * 100 }'; }

echo "== retention: an old .log (20 days) and a recent one (5 days)"
echo old >"$LOGDIR/bb-healthd-202601010000.log"
touch -d "@$(($(date +%s) - 20 * 86400))" "$LOGDIR/bb-healthd-202601010000.log"
echo recent >"$LOGDIR/bb-healthd-202611250000.log"
touch -d "@$(($(date +%s) - 5 * 86400))" "$LOGDIR/bb-healthd-202611250000.log"

echo "== a bad configuration exits 2 naming the key, and starts nothing"
conf /tmp/bad.conf "readd_after_good_probes = many"
set +e
bb-healthd --config /tmp/bad.conf m >/tmp/bad.out 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "bad configuration: exit $rc, want 2: $(cat /tmp/bad.out)"
grep -q '/tmp/bad.conf:2: readd_after_good_probes: "many" is not a whole number' /tmp/bad.out ||
	fail "bad configuration message: $(cat /tmp/bad.out)"
[ -z "$(ls "$LOGDIR"/*.out 2>/dev/null)" ] || fail "a bad configuration made a log file"

echo "== the mirror: ext4 on bb-mirror, legs on dm devices swapped to inject faults"
dmsetup create l0 --table "$(linear "$DISK_a")"
dmsetup create l1 --table "$(linear "$DISK_b")"
dmsetup create lg --table "$(linear "$DISK_lg")"
dmsetup create m --table "0 $SZ bb-mirror disk 3 /dev/mapper/lg $RS nosync 2 /dev/mapper/l0 0 /dev/mapper/l1 0 1 handle_errors"
dmsetup remove m
dmsetup create m --table "0 $SZ bb-mirror disk 2 /dev/mapper/lg $RS 2 /dev/mapper/l0 0 /dev/mapper/l1 0 1 handle_errors"
bbm_wait_sync m 60
TOTAL=$BBM_TOTAL
# No lazy inode-table or journal init: no writes of its own after the writer stops.
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/mapper/m
mount /dev/mapper/m /mnt/m
rm -f /tmp/stop-writer
(
	i=0
	while [ ! -f /tmp/stop-writer ]; do
		dd if=/dev/urandom of=/mnt/m/f$((i % 16)) bs=16k count=4 conv=fsync 2>/dev/null || exit 1
		i=$((i + 1))
		echo $i >/tmp/writes
	done
) &
WRITER=$!

echo "== run 1: a slow leg is failed, writes go on; fast again, it is re-added"
# The user's program: records its arguments; on READD it outlives its timeout.
cat >/tmp/prog.sh <<'PROG'
#!/bin/sh
echo "$*" >>/tmp/prog.out
[ "$1" != READD ] || exec sleep 10
PROG
chmod +x /tmp/prog.sh
conf /tmp/h1.conf "program = /tmp/prog.sh" "program_timeout = 2s"
start /tmp/h1.conf m
RUN1=$(current)
wait_line 'OpMsg=PROBE Type=SUCCESS Device=m Leg=1' 10
[ ! -e "$LOGDIR/bb-healthd-202601010000.log" ] || fail "the 20-day-old .log was not deleted"
[ -e "$LOGDIR/bb-healthd-202611250000.log" ] || fail "the 5-day-old .log was deleted"
grep -q 'OpMsg=LOGFILE Type=DELETED File=bb-healthd-202601010000.log' "$RUN1" || fail "no LOGFILE DELETED line"
t0=$(now)
slow
until [ "$(legstates)" = AF ]; do
	[ "$(elapsed "$t0")" -le 1500 ] || fail "leg 1 not failed 15 s after it was made slow: $BBM_RAW"
	sleep 0.1
done
took=$(elapsed "$t0")
echo "slow leg failed after ${took}0 ms (probe_interval 1s + probe_timeout 1s)"
# One interval plus the timeout, and scheduling slack for a TCG guest.
[ "$took" -le 400 ] || fail "leg 1 failed after ${took}0 ms, more than interval + timeout (+2 s slack)"
grep -q 'OpMsg=PROBE Type=TIMEOUT Device=m Leg=1' "$RUN1" || fail "no PROBE TIMEOUT line"
grep -q 'OpMsg=FAIL Type=PROBE_TIMEOUT Device=m Leg=1 Timeout=1000ms Action="fail_leg 1"' "$RUN1" ||
	fail "no FAIL line with its action: $(grep FAIL "$RUN1")"
# Writes go on (those in flight to the slow leg when it was failed finish
# after its delay first).
w0=$(cat /tmp/writes)
_i=0
while [ "$(cat /tmp/writes)" -lt $((w0 + 5)) ]; do
	_i=$((_i + 1))
	[ $_i -le 150 ] || fail "writes stopped after the leg was failed ($w0 -> $(cat /tmp/writes) in 15 s)"
	sleep 0.1
done
w1=$(cat /tmp/writes)
grep -q ' /mnt/m ' /proc/mounts || fail "ext4 is no longer mounted"
echo "writes went on: $w0 -> $w1"
touch /tmp/stop-writer
wait "$WRITER" || fail "a write failed while the leg was slow or failed"
sync
bbm_parse m
DIRTY=$BBM_REMAINING
echo "regions out of sync while leg 1 is failed: $DIRTY of $TOTAL"
if [ "$DIRTY" -eq 0 ] || [ "$DIRTY" -ge "$((TOTAL / 2))" ]; then fail "$DIRTY regions out of sync of $TOTAL"; fi
fast
wait_line 'OpMsg=READD Type=AUTO Device=m Leg=1 Good=3 Action="readd_leg 1"' 20
bbm_wait_sync m 120
echo "resync: copied $BBM_COPIED regions"
if [ "$BBM_COPIED" -lt "$DIRTY" ] || [ "$BBM_COPIED" -gt $((DIRTY + 8)) ]; then
	fail "the resync copied $BBM_COPIED regions, want the $DIRTY out of sync"
fi
wait_line "OpMsg=RESYNC Type=END Device=m Copied=$BBM_COPIED" 10
grep -q 'OpMsg=PROBE Type=LATE Device=m Leg=1' "$RUN1" || fail "the timed-out probe's completion was not logged LATE"
wait_line 'OpMsg=PROGRAM Type=TIMEOUT Device=m Leg=1 Event=READD/AUTO Status=137' 10
grep -q 'OpMsg=PROGRAM Type=EXIT Device=m Leg=1 Event=FAIL/PROBE_TIMEOUT Status=0' "$RUN1" ||
	fail "no PROGRAM line for the FAIL event: $(grep PROGRAM "$RUN1")"
grep -qx 'FAIL m 1 PROBE_TIMEOUT' /tmp/prog.out || fail "program arguments: $(cat /tmp/prog.out)"
grep -qx 'READD m 1 AUTO' /tmp/prog.out || fail "program not run for READD: $(cat /tmp/prog.out)"
# The program runs for one event at a time: the resync's events wait for
# READD's run to time out, so its END run may come after the lines above.
wait_line 'OpMsg=PROGRAM Type=EXIT Device=m Event=RESYNC/END Status=0' 10
grep -qx 'RESYNC m - END' /tmp/prog.out || fail "program not run for the resync's end: $(cat /tmp/prog.out)"
umount /mnt/m
[ "$(sum /dev/mapper/l0)" = "$(sum /dev/mapper/l1)" ] || fail "legs differ after the re-add's resync"
stop_hd
tail -n 1 "$RUN1" | grep -q 'OpMsg=END Type=HEALTHD Why=SIGTERM' || fail "run 1 did not end with END"

echo "== run 2: a leg on dm-error is failed by the kernel; bb-healthd sees it at the event, before its next probe"
conf /tmp/h2.conf "probe_interval = 30s"
start /tmp/h2.conf
RUN2=$(current)
wait_line 'OpMsg=PROBE Type=SUCCESS Device=m Leg=1' 10
[ -e "${RUN1%.out}.log" ] || fail "run 1's .out was not renamed .log"
before=$(count 'OpMsg=PROBE .*Device=m Leg=1' "$RUN2")
swap l1 "0 $SZ error"
t0=$(now)
xfs_io -d -c "pwrite -q -S 0x33 0 64k" /dev/mapper/m
wait_line 'OpMsg=FAIL Type=KERNEL Device=m Leg=1 Health=D Action=none' 5
echo "kernel failure seen after $(elapsed "$t0")0 ms"
[ "$(count 'OpMsg=PROBE .*Device=m Leg=1' "$RUN2")" -eq "$before" ] || fail "a probe came before the FAIL line: not woken by the event"
fast
conf /tmp/h2.conf
kill -HUP "$HD"
wait_line 'OpMsg=RELOAD Type=CONFIG' 5
wait_line 'OpMsg=READD Type=AUTO Device=m Leg=1' 20
bbm_wait_sync m 60
wait_line 'OpMsg=RESYNC Type=END Device=m' 10
[ "$(sum /dev/mapper/l0)" = "$(sum /dev/mapper/l1)" ] || fail "legs differ after run 2's resync"
stop_hd

echo "== run 3: a flapping leg gets action_limit_max actions, then HOLD; then SIGKILL"
conf /tmp/h3.conf "action_limit_max = 2" "readd_after_good_probes = 2"
start /tmp/h3.conf m
RUN3=$(current)
slow
wait_line 'OpMsg=FAIL Type=PROBE_TIMEOUT Device=m Leg=1' 10
fast
wait_line 'OpMsg=READD Type=AUTO Device=m Leg=1' 20
bbm_wait_sync m 60
slow
wait_line 'OpMsg=HOLD Type=LIMIT Device=m Leg=1 Actions=2 Period=30min Would="fail_leg 1"' 15
sleep 3
[ "$(legstates)" = AA ] || fail "leg states $(legstates) after HOLD: an action was taken past the limit"
[ "$(count 'Action="(fail|readd)_leg' "$RUN3")" -eq 2 ] || fail "$(count 'Action="(fail|readd)_leg' "$RUN3") actions, want 2: $(grep Action= "$RUN3")"
[ "$(count 'OpMsg=HOLD' "$RUN3")" -eq 1 ] || fail "HOLD said $(count 'OpMsg=HOLD' "$RUN3") times"
kill -KILL "$HD"
wait "$HD" 2>/dev/null || true
HD=

echo "== run 4: CRASH of run 3; observe_only logs what it would do and does nothing; a bb-log-writes log fills up"
dmsetup create rec --table "0 $(blockdev --getsz "$DISK_ld") bb-log-writes $DISK_ld $DISK_lw"
conf /tmp/h4.conf "observe_only = yes"
start /tmp/h4.conf
RUN4=$(current)
wait_line 'OpMsg=WATCH Type=LOG_WRITES Device=rec State=logging' 10
xfs_io -d -c "pwrite -q -b 64k 0 4m" /dev/mapper/rec
wait_line 'OpMsg=LOG Type=FULL Device=rec Reason=log_full Entry=[0-9]+ Action=none' 10
grep -q "OpMsg=CRASH Type=HEALTHD File=$(basename "${RUN3%.out}").log" "$RUN4" ||
	fail "no CRASH line for run 3: $(grep -E 'CRASH|LOGFILE' "$RUN4")"
[ "$(count OpMsg=CRASH "$RUN4")" -eq 1 ] || fail "runs 1 and 2 ended cleanly, yet: $(grep CRASH "$RUN4")"
wait_line 'OpMsg=FAIL Type=PROBE_TIMEOUT Device=m Leg=1 Timeout=1000ms Action=none Would="fail_leg 1" Why=observe_only' 10
sleep 2
[ "$(legstates)" = AA ] || fail "observe_only: leg states $(legstates)"
fast
dmsetup remove rec
wait_line 'OpMsg=UNWATCH Type=REMOVED Device=rec' 10
stop_hd

echo "== log files: names, renames, the configuration header"
ls -l "$LOGDIR"
n=0
for f in "$LOGDIR"/bb-healthd-*; do
	n=$((n + 1))
	basename "$f" | grep -qE '^bb-healthd-[0-9]{12}(-[0-9]+)?\.(out|log)$' || fail "log file name $f"
done
[ $n -eq 5 ] || fail "$n log files, want 5 (the recent old one and 4 runs)"
[ "$(ls "$LOGDIR"/*.out)" = "$RUN4" ] || fail "the .out is not the last run's"
for f in "${RUN1%.out}.log" "${RUN2%.out}.log" "${RUN3%.out}.log" "$RUN4"; do
	head -n 1 "$f" | grep -qE '^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} controller: probe_interval = [0-9]+s$' ||
		fail "$f does not start with the configuration: $(head -n 1 "$f")"
	[ "$(head -n 14 "$f" | grep -cE 'controller: [a-z_]+ =( |$)')" -eq 14 ] || fail "$f: no 14-key header"
	sed -n 15p "$f" | grep -q 'OpMsg=START Type=HEALTHD' || fail "$f: line 15 is not START"
done
grep -q 'controller: observe_only = yes' "$RUN4" || fail "run 4's header does not show observe_only"
grep -q 'controller: action_limit_max = 2' "${RUN3%.out}.log" || fail "run 3's header does not show its limit"
echo "healthd: all checks passed"
