#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# replay-log --dump on every committed vector prints exactly its .dump file;
# exit status is 0 for good vectors and 1 for bad ones.
. "$(dirname "$0")/lib.sh"
n=0
for log in "$VECTORS_DIR"/*.log; do
  name=${log%.log}
  want=0; grep -q '^error ' "$name.dump" && want=1
  expect_status $want "$REPLAY_LOG" --log "$log" --dump
  cmp "$WORK/out" "$name.dump" || fail "--dump of $log differs from $name.dump"
  if [ "$want" = 1 ]; then
    msg=$(sed -n 's/^error .*: //p' "$name.dump")
    grep -qF -- "$msg" "$WORK/err" || fail "stderr of $log lacks: $msg"
  fi
  if [ -f "$name.scan.dump" ]; then
    expect_status 0 "$REPLAY_LOG" --log "$log" --dump --scan-past-end
    cmp "$WORK/out" "$name.scan.dump" || fail "--scan-past-end dump of $log differs"
    grep -q "read past the superblock" "$WORK/err" || fail "scan did not say so"
  fi
  expect_status "$want" "$REPLAY_LOG" --log "$log" --dump --json
  if command -v python3 >/dev/null; then python3 -m json.tool "$WORK/out" >/dev/null || fail "bad JSON for $log"; fi
  n=$((n + 1))
done
[ $n -ge 10 ] || fail "only $n vectors"
# The group pair, in its global order (relative paths: the dump names them).
(cd "$VECTORS_DIR" && XDG_CACHE_HOME=$WORK "$REPLAY_LOG" --no-index --group kernel-group-512-d0.log \
	--group kernel-group-512-d1.log --dump) >"$WORK/group" || fail "--group --dump of kernel-group-512 failed"
cmp "$WORK/group" "$VECTORS_DIR/kernel-group-512.group.dump" || fail "--group --dump differs from kernel-group-512.group.dump"
echo "checked $n vectors"
