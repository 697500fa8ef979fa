#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bb-healthd's command line and configuration errors, on the host (no
# device-mapper needed): a bad option or configuration exits 2 naming what
# is wrong; --check-config prints the effective configuration.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

expect() {  # expect <status> <pattern> -- args...
	local want=$1 pattern=$2
	shift 3
	local out status
	out=$("$bin" "$@" 2>&1)
	status=$?
	[[ $status -eq $want ]] || fail "bb-healthd $* exited $status, not $want: $out"
	grep -qF -- "$pattern" <<<"$out" || fail "bb-healthd $*: no \"$pattern\" in: $out"
}

expect 0 "Usage: bb-healthd" -- --help
expect 2 "unrecognised option '--frobnicate'" -- --frobnicate
printf 'probe_interval = 2s\nprobe_timeout = 5\n' >"$tmp/bad.conf"
expect 2 "$tmp/bad.conf:2: probe_timeout: \"5\" has no unit" -- --config "$tmp/bad.conf" --check-config
expect 2 "$tmp/bad.conf:2: probe_timeout" -- --config "$tmp/bad.conf"
printf 'probe_timeuot = 5s\n' >"$tmp/typo.conf"
expect 2 "typo.conf:1: probe_timeuot: unknown key" -- --config "$tmp/typo.conf"
expect 2 "$tmp/none.conf: -: cannot be read" -- --config "$tmp/none.conf"
printf 'probe_interval = 2s\nobserve_only = yes\n' >"$tmp/good.conf"
expect 0 "observe_only = yes" -- --config "$tmp/good.conf" --check-config
out=$("$bin" --config "$tmp/good.conf" --check-config)
[[ $(wc -l <<<"$out") -eq 14 ]] || fail "--check-config printed $(wc -l <<<"$out") lines, not 14 keys"
grep -qx "probe_interval = 2s" <<<"$out" || fail "probe_interval not in --check-config: $out"
grep -qx "action_limit_max = 3" <<<"$out" || fail "default action_limit_max not printed: $out"
exit $failed
