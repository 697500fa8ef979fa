// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/log_stats.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/json.h"

#include "format/log_dump.h"

namespace bb::replay {

using namespace bb::logwrites;

LogStats compute_stats(const LogIndex& index) {
  LogStats s;
  s.sectorsize = index.sectorsize();
  s.superblock_entries = index.superblock_entries();
  s.entries = index.size();
  s.log_bytes = index.log_size();
  for (uint64_t i = 0; i < index.size(); ++i) {
    const IndexedEntry& e = index.at(i);
    s.flushes += (e.flags & kFlagFlush) != 0 ? 1 : 0;
    s.fuas += (e.flags & kFlagFua) != 0 ? 1 : 0;
    s.marks += (e.flags & kFlagMark) != 0 ? 1 : 0;
    s.metadata += (e.flags & kFlagMetadata) != 0 ? 1 : 0;
    s.unknown_flags += (e.flags & ~kKnownFlags) != 0 ? 1 : 0;
    uint64_t bytes = e.nr_sectors * index.sectorsize();
    if ((e.flags & kFlagDiscard) != 0) {
      ++s.discards;
      s.discard_bytes += bytes;
    } else if (e.nr_sectors > 0) {
      ++s.writes;
      s.data_bytes += bytes;
    }
    if (e.nr_sectors > 0) {
      uint64_t lo = e.sector;
      uint64_t hi = e.sector + e.nr_sectors;
      if (s.sector_range) {
        lo = std::min(lo, s.sector_range->first);
        hi = std::max(hi, s.sector_range->second);
      }
      s.sector_range = std::make_pair(lo, hi);
    }
  }
  s.mark_list = index.marks();
  if (index.tail_error()) s.tail_error = index.tail_error()->error().what();
  return s;
}

void print_stats(const LogStats& s, std::FILE* out, bool json) {
  if (json) {
    fmt::print(out,
               "{{\"sectorsize\":{},\"superblock_entries\":{},\"entries\":{},\"log_bytes\":{},"
               "\"writes\":{},"
               "\"flushes\":{},\"fuas\":{},\"discards\":{},\"marks\":{},\"metadata\":{},\"unknown_"
               "flags\":{},"
               "\"data_bytes\":{},\"discard_bytes\":{}",
               s.sectorsize, s.superblock_entries, s.entries, s.log_bytes, s.writes, s.flushes,
               s.fuas, s.discards, s.marks, s.metadata, s.unknown_flags, s.data_bytes,
               s.discard_bytes);
    if (s.sector_range) {
      fmt::print(out, ",\"sector_range\":{{\"first\":{},\"end\":{}}}", s.sector_range->first,
                 s.sector_range->second);
    }
    fmt::print(out, ",\"mark_list\":[");
    for (size_t i = 0; i < s.mark_list.size(); ++i) {
      fmt::print(out, "{}{{\"entry\":{},\"mark\":{}}}", i == 0 ? "" : ",", s.mark_list[i].first,
                 common::json_string(s.mark_list[i].second, common::JsonBytes::kAscii));
    }
    fmt::print(out, "]");
    if (s.tail_error) {
      fmt::print(out, ",\"error\":{}",
                 common::json_string(*s.tail_error, common::JsonBytes::kAscii));
    }
    fmt::print(out, "}}\n");
    return;
  }
  fmt::print(out, "sectorsize: {}\nentries: {} (superblock says {})\nlog bytes: {}\n", s.sectorsize,
             s.entries, s.superblock_entries, s.log_bytes);
  fmt::print(out, "writes: {} ({} bytes)\ndiscards: {} ({} bytes)\n", s.writes, s.data_bytes,
             s.discards, s.discard_bytes);
  fmt::print(out, "flush: {}\nfua: {}\nmetadata: {}\nmarks: {}\nunknown flags: {}\n", s.flushes,
             s.fuas, s.metadata, s.marks, s.unknown_flags);
  if (s.sector_range) {
    fmt::print(out, "sectors touched: {}-{} (bytes {}-{})\n", s.sector_range->first,
               s.sector_range->second, s.sector_range->first * s.sectorsize,
               s.sector_range->second * s.sectorsize);
  } else {
    fmt::print(out, "sectors touched: none\n");
  }
  for (const auto& [entry, text] : s.mark_list)
    fmt::print(out, "mark {} {}\n", entry, quote_mark(text));
  if (s.tail_error) fmt::print(out, "error: {}\n", *s.tail_error);
}

}  // namespace bb::replay
