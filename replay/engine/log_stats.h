// SPDX-License-Identifier: GPL-2.0-or-later
// Statistics of an indexed log: entries per flag, bytes, marks with their
// entry numbers and the range of sectors touched. Printed by
// `replay-log --stats` as text or JSON.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "format/log_index.h"

namespace bb::replay {

struct LogStats {
  uint32_t sectorsize = 0;
  uint64_t superblock_entries = 0;
  uint64_t entries = 0;
  uint64_t log_bytes = 0;
  uint64_t writes = 0;  // entries with data
  uint64_t flushes = 0;
  uint64_t fuas = 0;
  uint64_t discards = 0;
  uint64_t marks = 0;
  uint64_t metadata = 0;
  uint64_t unknown_flags = 0;  // entries carrying bits outside kKnownFlags
  uint64_t data_bytes = 0;
  uint64_t discard_bytes = 0;
  std::optional<std::pair<uint64_t, uint64_t>> sector_range;  // [first, end) in log sectors
  std::vector<std::pair<uint64_t, std::string>> mark_list;
  std::optional<std::string> tail_error;
};

[[nodiscard]] LogStats compute_stats(const bb::logwrites::LogIndex& index);
void print_stats(const LogStats& stats, std::FILE* out, bool json);

}  // namespace bb::replay
