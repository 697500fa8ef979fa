// SPDX-License-Identifier: GPL-2.0-or-later
// Crash points: the log entries after which a power failure is simulated.
// A point is checked as the "prefix state": every entry up to and including
// it is on the disk, nothing after it. dm-log-writes logs writes in a
// worst-case-legal order (a write appears only after the flush that made it
// durable), so every prefix ending at a FUA or a flush is a state the disk
// could really have been left in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "format/log_index.h"

namespace bb::crashcheck {

// Which entries are crash points. Parsed from a comma list:
//   fua, flush, mark      every entry with that flag
//   every=N               every Nth entry counted from the start point
//   <number>              that entry
// e.g. "fua" (the default), "fua,mark", "every=100", "17,42".
struct PointSelection {
  bool fua = false;
  bool flush = false;
  bool marks = false;
  uint64_t every = 0;
  std::vector<uint64_t> entries;

  // Throws CheckerError naming the bad item.
  [[nodiscard]] static PointSelection parse(std::string_view spec);
  // The canonical spec: "fua,flush,mark,every=N,<entries ascending>".
  [[nodiscard]] std::string describe() const;
};

struct CrashPoint {
  uint64_t entry = 0;
  uint64_t flags = 0;
  std::string mark;  // text when the entry is a mark

  // "FUA", "FLUSH", "FLUSH|FUA", "mark mkfs", or "entry" for a point chosen
  // by number; METADATA is left out (it says nothing about durability).
  [[nodiscard]] std::string kind() const;
  bool operator==(const CrashPoint&) const = default;
};

// The points of `selection` in [first, last] of the index, in log order,
// each at most once.
[[nodiscard]] std::vector<CrashPoint> select_points(const bb::logwrites::LogIndex& index,
                                                    uint64_t first, uint64_t last,
                                                    const PointSelection& selection);

}  // namespace bb::crashcheck
