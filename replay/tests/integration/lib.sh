# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for replay/ integration tests (sourced, POSIX sh + bash ok).
# Env: REPLAY_LOG, LOG_BUILDER, VECTORS_DIR (set by ctest).
set -eu
: "${REPLAY_LOG:?}" "${LOG_BUILDER:?}" "${VECTORS_DIR:?}"
WORK=$(mktemp -d /tmp/bb-replay-test.XXXXXX)
LOOPS=""
MOUNTS=""
cleanup() {
  for m in $MOUNTS; do umount "$m" 2>/dev/null || true; done
  for l in $LOOPS; do losetup -d "$l" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
export XDG_CACHE_HOME="$WORK/cache"
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_status CODE CMD...: run CMD, require exit CODE; stdout in $WORK/out, stderr in $WORK/err
expect_status() {
  want=$1; shift
  set +e; "$@" >"$WORK/out" 2>"$WORK/err"; got=$?; set -e
  [ "$got" = "$want" ] || { cat "$WORK/out" "$WORK/err" >&2; fail "exit $got (want $want): $*"; }
}
need_loop() {
  { [ "$(id -u)" = 0 ] && losetup -f >/dev/null 2>&1; } || { echo "SKIP: needs root and loop devices"; exit 0; }
}
attach_loop() {  # attach_loop FILE VAR: attaches FILE, sets VAR to the device, records it for cleanup
  _dev=$(losetup -f --show "$1") || fail "losetup $1"
  LOOPS="$LOOPS $_dev"
  eval "$2=\$_dev"
}
