#!/bin/bash
# replay/bench/replay_bench.sh [BIN_DIR] — prints ratios, not a timed test.
#  1. full replay of a ~1 GiB log of 4 KiB writes vs `cp` of the same log
#     (goal: replay/cp <= 1.1)
#  2. --find --start-entry N near the end of a 250k-entry log, warm index
#     (goal: < 10 ms) vs --no-index (a scan from entry 0, like upstream)
# Page cache is warm for both sides (each is run once before timing).
set -eu
BIN=${1:-$(dirname "$0")/../../build/bin}
R=$BIN/replay-log B=$BIN/bb-log-builder
W=$(mktemp -d ${TMPDIR:-/var/tmp}/bb-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
secs() { local t0 t1; t0=$(now); "$@" >/dev/null; t1=$(now); echo "$t1 - $t0" | bc -l; }
best3() { local b=""; for _ in 1 2 3; do t=$(secs "$@"); if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi; done; echo "$b"; }

N=233000   # entries of 8 x 512-byte sectors: 4608 bytes each in the log, ~1.0 GiB
echo "repeat $N write 0 8 seq" | $B --out $W/big.log
truncate -s $((N * 4096)) $W/target.img
$R --log $W/big.log --num-entries >/dev/null   # build and cache the index
cat $W/big.log > /dev/null
t_cp=$(best3 cp $W/big.log $W/copy.log)
t_rp=$(best3 $R --log $W/big.log --replay $W/target.img)
t_naive=$(best3 $R --no-index --log $W/big.log --replay $W/target.img)
printf 'full replay of %s MiB log: replay %.3fs, naive (no index) %.3fs, cp %.3fs; replay/cp = %.2f (goal <= 1.1)\n' \
  $(( $(stat -c %s $W/big.log) >> 20 )) "$t_rp" "$t_naive" "$t_cp" "$(echo "$t_rp / $t_cp" | bc -l)"
rm -f $W/copy.log $W/target.img $W/big.log*

M=250000
echo "repeat $M write 0 1 seq" | $B --out $W/many.log
$R --log $W/many.log --num-entries >/dev/null   # warm index
t_warm=$(best3 $R --log $W/many.log --find --limit 1 --start-entry $((M - 10)))
t_cold=$(best3 $R --no-index --log $W/many.log --find --limit 1 --start-entry $((M - 10)))
printf 'seek to entry %d of %d: warm index %.1f ms (goal < 10 ms), without index %.1f ms; ratio %.1fx\n' \
  $((M - 10)) $M "$(echo "$t_warm * 1000" | bc -l)" "$(echo "$t_cold * 1000" | bc -l)" "$(echo "$t_cold / $t_warm" | bc -l)"
