// SPDX-License-Identifier: GPL-2.0-or-later
// Shards: one run's crash points cut into N contiguous, ordered shares, so
// that N machines (a Kubernetes indexed Job, a Slurm job array, xargs -P)
// each check one and `bb-crashcheck merge` puts their reports together
// into the report one run would have given. Contiguous shares let each
// shard replay the log once, from entry 0 to its first point, then on.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace bb::crashcheck {

struct Shard {
  unsigned index = 1;  // 1..count
  unsigned count = 1;

  // "K/N" with 1 <= K <= N; throws CheckerError naming what is wrong.
  [[nodiscard]] static Shard parse(std::string_view spec);
  // [first, end) of `points` points: shard K of N takes
  // [floor((K-1)*P/N), floor(K*P/N)), so every point is in exactly one
  // shard and the shares differ by at most one point.
  [[nodiscard]] std::pair<size_t, size_t> range(size_t points) const;
  [[nodiscard]] std::string describe() const;  // "2/5"
  bool operator==(const Shard&) const = default;
};

}  // namespace bb::crashcheck
