#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cluster-nodes.sh — what a cluster scenario (tests/vm/cluster/*.sh, a
# host-side bash script) drives its guests with. tests/vm/cluster-run
# sources it, then the scenario, under `set -e`: a helper that fails
# fails the scenario unless the scenario tests its status.
#
#   boot_node N...        boot guests N... (at the same time) and wait until
#                         each takes commands; a guest that dies or hangs
#                         before that is booted again once (BB_BOOT_RETRIES)
#   on N CMD...           run CMD (sh, in the guest's /tmp, DISK_<name> and
#                         BB_NODE set) in guest N; prints its output (stdout
#                         and stderr), returns its status; 255 if the guest
#                         is down or dies meanwhile; 124 after BB_ON_TIMEOUT
#                         seconds if that is set (the command goes on)
#   on_all CMD...         on, in every running guest in turn
#   wait_for N COND [S]   until the sh condition COND holds in guest N (polled
#                         each second there), at most S seconds (default 60)
#   bg N NAME CMD...      start CMD in the background in guest N, its output
#                         in the guest's /tmp/bg.NAME.log
#   bg_wait N NAME [S]    wait (at most S s, default 600) for NAME to end;
#                         returns its status
#   kill_node N           SIGKILL guest N's QEMU: no clean stop, no sync
#   node_up N             whether guest N runs
#   nodes                 the scenario's node numbers (1 2 ...)
#   corosync_start N...   start corosync in guests N... (bg name "corosync")
#   corosync_stop N       stop corosync in guest N, wait until it ended
#   members N             the number of members guest N's corosync sees
#   wait_members COUNT S N...  until each guest N... sees COUNT members, at
#                         most S seconds each
#   bbm_create LOG UUID [FEATURE...]  prints the guest command that creates
#                         bb-mirror "m" over $DISK_legA and $DISK_legB on a
#                         dirtylogd LOG (clustered-disk on $DISK_log, or
#                         clustered-core) with log UUID, 1024-sector regions
#                         and the features given
#   same_legs N           in guest N, compares $DISK_legA and $DISK_legB
#                         region by region (bbm_create's 1024 sectors);
#                         fails naming the regions that differ
#   tagged_writer DEV COUNT [STOP]   prints a guest script writing 4 KiB
#                         blocks 0..COUNT-1 of DEV in order, "bb-<n>-" each,
#                         direct and flushed, one after the other; with
#                         STOP (a guest path), it writes until STOP exists,
#                         then 32 blocks more, ends with "wrote K blocks",
#                         and fails if it reaches COUNT before STOP exists
#   tagged_prefix COUNT   prints a guest script that reads blocks 0..COUNT-1
#                         of the device "$1" and prints k, the number of
#                         tagged blocks; fails unless they are exactly blocks
#                         [0,k), k > 0, and the rest holds nothing but zeroes
#
# The trace (stderr, in output.log) shows each command as "+ SECS [N] CMD",
# SECS counted from the scenario's start. Guest N is 169.254.0.N/16 on
# eth0. The guests' QEMUs are jobs of the scenario's shell: wait for a job
# of the scenario by its pid, never with a bare `wait`.
#
# The runner's environment: BB_RUN (its fifos and pids), BB_SCENARIO_OUT
# (the artifacts), BB_NODES, BB_KERNEL, BB_INITRD, BB_ACCEL, BB_NODE_MEM,
# BB_KERNEL_ARGS, BB_BOOT_RETRIES, BB_BOOT_TIMEOUT, BB_TEST_BOOT_CRASHES;
# $BB_RUN/qemu-N.args holds guest N's own QEMU arguments (disks, network),
# one per line. Also BB_BIN (our binaries on the host), REPO and
# KERNEL_SERIES.

# _agent_log N — the command transcript of guest N's current boot.
_agent_log() { cat "$BB_RUN/agent-log-$1"; }

node_up() {
	[ -f "$BB_RUN/qpid-$1" ] && [ ! -f "$BB_RUN/exit-$1" ] &&
		kill -0 "$(cat "$BB_RUN/qpid-$1")" 2>/dev/null
}

nodes() { seq 1 "$BB_NODES"; }

# _start_node N ATTEMPT — start guest N's QEMU and the reader of its
# command channel; its logs are nodeN-bootK.{dmesg,agent,qemu}.log (K
# counts the boots of N in this scenario).
_start_node() {
	local n=$1 attempt=$2 boot base args=() append=""
	boot=$(cat "$BB_RUN/boots-$n" 2>/dev/null || echo 0)
	[ "$attempt" -gt 1 ] || boot=$((boot + 1))
	echo "$boot" >"$BB_RUN/boots-$n"
	base=$BB_SCENARIO_OUT/node$n-boot$boot
	echo "$base.agent.log" >"$BB_RUN/agent-log-$n"
	rm -f "$BB_RUN/exit-$n" "$BB_RUN/qpid-$n" "$BB_RUN/ctl-$n.in" "$BB_RUN/ctl-$n.out"
	mkfifo "$BB_RUN/ctl-$n.in" "$BB_RUN/ctl-$n.out"
	mapfile -t args <"$BB_RUN/qemu-$n.args"
	# The self-test's boot that dies for real: no init, a kernel panic.
	[ "$attempt" -gt "${BB_TEST_BOOT_CRASHES:-0}" ] || append+=" rdinit=/nonexistent-bb-test init=/nonexistent-bb-test"
	# The reader holds the fifo read-write: it never blocks on open and
	# never sees an end; _stop_reader ends it.
	cat 0<>"$BB_RUN/ctl-$n.out" >"$base.agent.log" &
	echo $! >"$BB_RUN/reader-$n"
	(
		set +e # the scenario's set -e would skip the exit status
		# cx16=off: twice a 6.12 guest died right after SLUB's
		# cmpxchg16b with reserved EFLAGS bits set (TF: a #DB WARNING in
		# exc_debug_kernel; DF and others: a double fault), an emulation
		# fault of this QEMU's TCG (7.2); without CX16 the kernel
		# emulates the instruction (this_cpu_cmpxchg16b_emu).
		qemu-system-x86_64 -accel "$BB_ACCEL" -cpu max,cx16=off -smp 1 -m "$BB_NODE_MEM" \
			-nodefaults -display none -no-reboot \
			-kernel "$BB_KERNEL" -initrd "$BB_INITRD" \
			-append "console=ttyS0 panic=-1 quiet mitigations=off no_timer_check bb.node=$n bb.nodes=$BB_NODES$BB_KERNEL_ARGS$append" \
			-serial "file:$base.dmesg.log" \
			-chardev "pipe,id=ctl,path=$BB_RUN/ctl-$n" -serial chardev:ctl \
			"${args[@]}" >"$base.qemu.log" 2>&1 &
		echo $! >"$BB_RUN/qpid-$n"
		wait $!
		echo $? >"$BB_RUN/exit-$n"
	) 2>/dev/null & # not bash's "Killed" line of each kill_node
	while [ ! -s "$BB_RUN/qpid-$n" ] && [ ! -f "$BB_RUN/exit-$n" ]; do sleep 0.05; done
}

_stop_reader() {
	[ -f "$BB_RUN/reader-$1" ] || return 0
	kill "$(cat "$BB_RUN/reader-$1")" 2>/dev/null || true
	rm -f "$BB_RUN/reader-$1"
}

# _await_node N — wait until guest N's agent takes commands; boot it again
# if it died or hung before (a TCG guest now and then panics at boot).
_await_node() {
	local n=$1 attempt=1 start=$SECONDS log why f panic
	while :; do
		log=$(_agent_log "$n")
		if grep -aqs '^@@BB BOOTFAIL' "$log"; then
			echo "boot_node: guest $n: $(grep -am1 '^@@BB BOOTFAIL' "$log")" >&2
			return 1
		fi
		if grep -aqs '^@@BB AGENT ' "$log"; then
			echo "boot_node: guest $n up in $((SECONDS - start))s (boot $(cat "$BB_RUN/boots-$n"))" >&2
			return 0
		fi
		why=""
		if ! node_up "$n"; then
			why="died"
		elif [ $((SECONDS - start)) -ge "$BB_BOOT_TIMEOUT" ]; then
			why="hung ${BB_BOOT_TIMEOUT}s"
		fi
		if [ -z "$why" ]; then
			sleep 0.5
			continue
		fi
		kill_node "$n"
		f=${log%.agent.log}
		panic=$(panic_line "$f.dmesg.log")
		why="$why during boot${panic:+ ($panic)}"
		if [ "$attempt" -gt "$BB_BOOT_RETRIES" ]; then
			echo "boot_node: guest $n $why, in all $attempt attempts" >&2
			return 1
		fi
		for log in "$f".*.log; do mv -f "$log" "${log%.log}.try$attempt.log"; done
		echo "boot_node: guest $n $why; booting again (retry $attempt of $BB_BOOT_RETRIES)" |
			tee -a "$BB_RUN/warnings" >&2
		attempt=$((attempt + 1))
		start=$SECONDS
		_start_node "$n" "$attempt"
	done
}

boot_node() {
	local n rc=0
	for n in "$@"; do
		! node_up "$n" || { echo "boot_node: guest $n is running" >&2; return 1; }
		_start_node "$n" 1
	done
	for n in "$@"; do _await_node "$n" || rc=1; done
	return $rc
}

kill_node() {
	local n=$1 i
	if [ -f "$BB_RUN/qpid-$n" ]; then
		kill -9 "$(cat "$BB_RUN/qpid-$n")" 2>/dev/null || true
		for i in $(seq 100); do
			[ ! -f "$BB_RUN/exit-$n" ] || break
			[ "$i" -lt 100 ] || echo "kill_node: guest $n's QEMU did not end" >&2
			sleep 0.1
		done
	fi
	_stop_reader "$n"
	rm -f "$BB_RUN/qpid-$n"
	echo "kill_node: guest $n killed" >&2
}

on() {
	local n=$1
	shift
	_run_on "$n" "$*" "$*"
}

# _run_on N TRACE SCRIPT — on N SCRIPT, traced as TRACE.
_run_on() {
	local n=$1 id log rc start=$SECONDS
	node_up "$n" || { echo "on: guest $n is not running: $2" >&2; return 255; }
	id=c${BASHPID}x$RANDOM$RANDOM
	log=$(_agent_log "$n")
	printf '+ %ds [%s] %s\n' "$SECONDS" "$n" "$2" >&2
	# A line longer than a pipe's atomic write could interleave with
	# another's: one writer at a time.
	{
		flock 9
		printf '@@CMD %s %s\n' "$id" "$(printf '%s\n' "$3" | base64 -w0)" 1<>"$BB_RUN/ctl-$n.in"
	} 9>"$BB_RUN/lock-$n"
	# -a: a command's output may hold NUL bytes, which would make grep
	# read the log as binary, lines cut at each NUL.
	until grep -aq "^@@RC $id " "$log"; do
		if [ -n "${BB_ON_TIMEOUT:-}" ] && [ $((SECONDS - start)) -ge "$BB_ON_TIMEOUT" ]; then
			sed -n "s/^$id| //p" "$log"
			echo "on: guest $n did not finish in ${BB_ON_TIMEOUT}s: $2" >&2
			return 124
		fi
		if ! node_up "$n"; then
			sed -n "s/^$id| //p" "$log"
			echo "on: guest $n went down while it ran: $2" >&2
			return 255
		fi
		sleep 0.1
	done
	sed -n "s/^$id| //p" "$log"
	rc=$(sed -n "s/^@@RC $id //p" "$log")
	return "$rc"
}

# on_all CMD... — on in every running guest, one after the other; fails
# at the first guest where CMD fails.
on_all() {
	local n
	for n in $(nodes); do
		node_up "$n" || continue
		on "$n" "$@" || return
	done
}

wait_for() {
	local n=$1 cond=$2 secs=${3:-60}
	_run_on "$n" "wait_for $n '$cond' $secs" "$(_wait_for_script "$cond" "$secs")"
}

# _wait_for_script COND SECS — sh that waits until COND holds, each second.
_wait_for_script() {
	printf '%s\n' "i=0" "until ( $1 ) >/dev/null 2>&1; do" "	i=\$((i + 1))" \
		"	[ \$i -le $2 ] || { echo 'wait_for: not true after ${2}s'; exit 1; }" "	sleep 1" "done"
}

bg() {
	local n=$1 name=$2
	shift 2
	_run_on "$n" "bg $n $name: $*" "echo $(printf '%s\n' "$*" | base64 -w0) | base64 -d >/tmp/bg.$name.sh
rm -f /tmp/bg.$name.rc
setsid sh -c 'sh /tmp/bg.$name.sh; echo \$? >/tmp/bg.$name.rc' >/tmp/bg.$name.log 2>&1 </dev/null &
echo \$! >/tmp/bg.$name.pid"
}

bg_wait() {
	local n=$1 name=$2 secs=${3:-600} rc
	wait_for "$n" "[ -f /tmp/bg.$name.rc ]" "$secs" || return 1
	rc=$(on "$n" "cat /tmp/bg.$name.rc") || return 1
	return "$rc"
}

corosync_start() {
	local n
	for n in "$@"; do bg "$n" corosync corosync -f; done
}

corosync_stop() {
	# shellcheck disable=SC2016 # expanded in the guest
	on "$1" 'corosync-cfgtool -H --force || kill "$(cat /var/run/corosync.pid)"'
	bg_wait "$1" corosync 60 || true
}

members() {
	on "$1" "corosync-quorumtool -s | sed -n 's/^Nodes: *//p'" 2>/dev/null
}

wait_members() {
	local count=$1 secs=${2:-60} n
	shift 2
	for n in "$@"; do
		_run_on "$n" "wait_members $count $secs $n" "$(_wait_for_script "[ \"\$(corosync-quorumtool -s 2>/dev/null | sed -n 's/^Nodes: *//p')\" = $count ]" "$secs")" >/dev/null || {
			echo "wait_members: guest $n sees $(members "$n") members, not $count, after ${secs}s" >&2
			return 1
		}
		echo "wait_members: guest $n sees $count members" >&2
	done
}

bbm_create() {
	local log=$1 uuid=$2 params features=""
	shift 2
	case $log in
	clustered-disk) params="4 $uuid clustered-disk \$DISK_log 1024" ;;
	clustered-core) params="3 $uuid clustered-core 1024" ;;
	*) echo "bbm_create: unknown log $log" >&2; return 2 ;;
	esac
	[ $# -eq 0 ] || features=" $# $*"
	printf '%s\n' "dmsetup create m --table \"0 \$(blockdev --getsz \"\$DISK_legA\") bb-mirror userspace $params 2 \$DISK_legA 0 \$DISK_legB 0$features\""
}

same_legs() {
	# shellcheck disable=SC2016 # expanded in the guest
	on "$1" 'n=$(($(blockdev --getsz "$DISK_legA") / 1024)) r=0 bad=
while [ $r -lt $n ]; do
	a=$(dd if="$DISK_legA" bs=524288 skip=$r count=1 iflag=direct 2>/dev/null | md5sum)
	b=$(dd if="$DISK_legB" bs=524288 skip=$r count=1 iflag=direct 2>/dev/null | md5sum)
	[ "$a" = "$b" ] || bad="$bad $r"
	r=$((r + 1))
done
[ -z "$bad" ] || { echo "the legs differ in regions$bad"; exit 1; }
echo "the legs are identical in all $n regions"'
}

tagged_writer() {
	# busybox dd has no oflag=dsync: O_DIRECT and an fsync per block.
	local block="printf '%-4096s' \"bb-\$i-\" | dd of=$1 bs=4096 seek=\$i oflag=direct conv=notrunc,fsync 2>/dev/null || exit 1"
	if [ -z "${3:-}" ]; then
		printf '%s\n' "i=0; while [ \$i -lt $2 ]; do $block; i=\$((i + 1)); done"
		return
	fi
	printf '%s\n' "i=0 end=-1" "while [ \$i -lt $2 ]; do" \
		"	[ \$end -ge 0 ] || [ ! -e $3 ] || end=\$((i + 32))" \
		"	[ \$end -lt 0 ] || [ \$i -lt \$end ] || break" \
		"	$block" "	i=\$((i + 1))" "done" "echo \"wrote \$i blocks\"" \
		"[ \$end -ge 0 ] || { echo \"reached $2 blocks before $3 existed\"; exit 2; }"
}

tagged_prefix() {
	# Zeroes and the padding (spaces) dropped, what is left must read
	# "bb-0-bb-1-...bb-<k-1>-": a gap, a stray tag or other bytes fail.
	# shellcheck disable=SC2016 # expanded in the guest
	printf '%s\n' "dd if=\"\$1\" bs=4096 count=$1 iflag=direct 2>/dev/null | tr -d '\\000 ' | tr - '\\n' |" \
		'awk "NR % 2 { if (\$0 != \"bb\") bad = 1; next } { if (\$0 != (k + 0) \"\") bad = 1; else k++ }' \
		'END { print k + 0; exit (bad || k == 0) }"'
}

# _collect_jobs — at the scenario's end, the output of each running guest's
# background jobs (bg) into nodeN-bootK.jobs.log.
_collect_jobs() {
	local n log
	for n in $(nodes); do
		node_up "$n" || continue
		log=$(_agent_log "$n")
		# shellcheck disable=SC2016 # expanded in the guest
		BB_ON_TIMEOUT=30 _run_on "$n" "(collect the jobs' output)" \
			'for f in /tmp/bg.*.log; do [ -f "$f" ] && echo "==> $f <==" && cat "$f"; done; true' \
			>"${log%.agent.log}.jobs.log" 2>/dev/null || true
	done
}
