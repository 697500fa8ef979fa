// SPDX-License-Identifier: GPL-2.0-or-later
// Which blocks differ between two images, and which log entries wrote them:
// what the report shows for the first failing point against the last good
// one. Only the ranges written by the candidate entries can differ, so only
// those are read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/log_index.h"

namespace bb::crashcheck {

struct DiffRange {
  uint64_t sector = 0;  // first differing log sector of the run
  uint64_t nr_sectors = 0;
  std::vector<uint64_t> writers;  // candidate entries whose range overlaps the run
};

struct ImageDiff {
  std::vector<DiffRange> ranges;
  uint64_t differing_sectors = 0;
  bool truncated = false;  // more than kMaxRanges runs; the rest are counted only
  static constexpr size_t kMaxRanges = 200;
};

// Compares `a` and `b` over the sector ranges of `candidates` (entries of
// `index`; flushes and marks are ignored). Throws bb::common::SystemError.
[[nodiscard]] ImageDiff diff_images(const std::string& a, const std::string& b,
                                    const bb::logwrites::LogIndex& index,
                                    const std::vector<uint64_t>& candidates);

}  // namespace bb::crashcheck
