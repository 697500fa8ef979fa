# SPDX-License-Identifier: GPL-2.0-or-later
# Shell functions of the bbm-* scenarios (bb-mirror and the in-tree mirror),
# for busybox sh: . "$BB_LIB/bbm.sh"

fail() {
	echo "FAIL: $*"
	dmesg | grep -E 'bb-mirror|device-mapper' | tail -n 30
	exit 1
}

# bbm_parse DEV — split `dmsetup status DEV` (mirror or bb-mirror) into
# BBM_LEGS BBM_INSYNC BBM_TOTAL BBM_HEALTH BBM_LOG (the log's words with
# their count) and bb-mirror's own fields (docs/bb-mirror.md, "Status"):
# BBM_NOURS BBM_STATE BBM_COPIED BBM_REMAINING BBM_RATE BBM_ETA
# BBM_LEGSTATE BBM_SOURCE BBM_LIMIT BBM_PARALLEL (empty for the in-tree
# mirror). BBM_PREFIX: dm-raid1's fields with every major:minor as "M".
# shellcheck disable=SC2034 # the BBM_* fields are read by the scenarios that source this file
bbm_parse() {
	BBM_RAW=$(dmsetup status "$1") || return 1
	# shellcheck disable=SC2086
	set -- $BBM_RAW
	shift 3 # start, length, target type
	BBM_LEGS=$1
	shift $((BBM_LEGS + 1))
	BBM_INSYNC=${1%/*} BBM_TOTAL=${1#*/} BBM_HEALTH=$3
	shift 3
	case $1 in
	[0-9]*) BBM_LOG=$(echo "$@" | cut -d' ' -f1-$(($1 + 1))); shift $(($1 + 1)) ;;
	*) BBM_LOG=$(echo "$@" | cut -d' ' -f1-3); shift 3 ;; # "userspace 1 COM_FAILURE"
	esac
	BBM_NOURS=${1:-} BBM_STATE=${2:-} BBM_COPIED=${3:-} BBM_REMAINING=${4:-} BBM_RATE=${5:-}
	BBM_ETA=${6:-} BBM_LEGSTATE=${7:-} BBM_SOURCE=${8:-} BBM_LIMIT=${9:-} BBM_PARALLEL=${10:-}
	BBM_PREFIX=$(echo "$BBM_RAW" | cut -d' ' -f4- | awk -v n="$BBM_LEGS" '{
		s = ""; for (i = 1; i <= NF; i++) { w = $i; if (w ~ /^[0-9]+:[0-9]+$/) w = "M"; s = s (i > 1 ? " " : "") w }
		print s }' | cut -d' ' -f1-$((BBM_LEGS + 4 + $(echo "$BBM_LOG" | wc -w))))
}

# bbm_wait_sync DEV SECONDS — until every region is in sync (and, for
# bb-mirror, the resync is idle and every leg is current).
bbm_wait_sync() {
	_i=0
	while :; do
		bbm_parse "$1"
		if [ "$BBM_INSYNC" = "$BBM_TOTAL" ]; then
			[ -z "$BBM_NOURS" ] && return 0
			[ "$BBM_STATE" = idle ] && ! echo "$BBM_LEGSTATE" | grep -q '[FS]' && return 0
		fi
		_i=$((_i + 1))
		[ $_i -le $((4 * $2)) ] || fail "$1 not in sync after $2 s: $BBM_RAW"
		sleep 0.25
	done
}

# must_refuse DEV MESSAGE... — the message fails, and status and table are
# unchanged.
must_refuse() {
	_dev=$1
	shift
	_st=$(dmsetup status "$_dev") _tb=$(dmsetup table "$_dev")
	if dmsetup message -- "$_dev" 0 "$@" >/tmp/refuse.out 2>&1; then fail "message '$*' was accepted"; fi
	grep -q 'Invalid argument\|Device or resource busy' /tmp/refuse.out ||
		fail "message '$*': no EINVAL/EBUSY: $(cat /tmp/refuse.out)"
	[ "$(dmsetup status "$_dev")" = "$_st" ] || fail "message '$*' changed the status: $(dmsetup status "$_dev")"
	[ "$(dmsetup table "$_dev")" = "$_tb" ] || fail "message '$*' changed the table"
}

# shellcheck source=sum.sh
. "$BB_LIB/sum.sh"

# sum DEV — the checksum of a device's bytes (after dropping caches).
sum() {
	echo 3 >/proc/sys/vm/drop_caches
	bytes_sum "$1"
}

# swap NAME TABLE — replace a dm device's table (suspend, load, resume).
swap() {
	dmsetup load "$1" --table "$2"
	dmsetup suspend "$1"
	dmsetup resume "$1"
}
# linear DEV — a table mapping all of DEV.
linear() { echo "0 $(blockdev --getsz "$1") linear $1 0"; }
# bad_writes DEV — a dm-flakey table over all of DEV: reads pass, every
# write fails.
bad_writes() { echo "0 $(blockdev --getsz "$1") flakey $1 0 0 5 1 error_writes"; }

# now — seconds since boot, with hundredths.
now() { cut -d' ' -f1 /proc/uptime; }
