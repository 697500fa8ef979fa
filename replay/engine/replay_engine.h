// SPDX-License-Identifier: GPL-2.0-or-later
// The replay engine: applies a range of log entries to a ReplayTarget.
// LogSession bundles what a tool needs for one log (source, reader,
// cached index) and is the API the CLI and the crash-point checker use:
//
//   bb::replay::LogSession log("/dev/vdb");            // opens, indexes (cached)
//   auto mkfs = log.find_mark("mkfs");                  // O(log N)
//   auto fua = log.next_with_flags(kFlagFua, *mkfs + 1);
//   bb::replay::ReplayTarget dev("/dev/loop0");
//   log.replay(dev, 0, *fua, {});                      // entries 0..fua inclusive
//   dev.sync();
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/replay_target.h"
#include "format/log_index.h"
#include "format/log_index_cache.h"
#include "format/log_reader.h"
#include "format/log_source.h"

namespace bb::replay {

using bb::logwrites::IndexedEntry;

struct ReplayOptions {
  bool apply_discards = true;  // false: --no-discard
  // Only entries overlapping [start_sector, end_sector] (log sectors) are
  // applied; entries without sectors (flush, mark) always count.
  uint64_t start_sector = 0;
  uint64_t end_sector = std::numeric_limits<uint64_t>::max();
  // 1: a "replaying" line per applied entry; 2: also "skipping" lines.
  int verbose = 0;
  std::FILE* verbose_out = stdout;
  // After an entry for which is_checkpoint() is true, pending writes are
  // issued, the target is fsync()ed (if sync_at_checkpoint) and
  // on_checkpoint() runs; it may throw to stop the replay.
  std::function<bool(uint64_t entry, const IndexedEntry&)> is_checkpoint;
  std::function<void(uint64_t entry)> on_checkpoint;
  // Off when on_checkpoint() reads the target through the page cache (a
  // reflink or a copy of an image file): the fsync would buy nothing.
  bool sync_at_checkpoint = true;
  std::function<void(uint64_t entries_done, uint64_t bytes_done)> progress;
  size_t buffer_bytes = 8U << 20;  // log read-ahead window
};

struct ReplayStats {
  uint64_t entries = 0;  // entries walked
  uint64_t writes = 0;   // data entries applied
  uint64_t bytes_written = 0;
  uint64_t discards = 0;  // discard entries applied (zeroed)
  uint64_t bytes_zeroed = 0;
  uint64_t skipped = 0;  // outside the sector range, or discards with --no-discard
  std::optional<ZeroMethod> zero_method;
};

// Replays entries [first, last] of an indexed log. Each entry's header is
// re-read from the log and validated (and compared with the index) before
// any of it is written; on an error the writes of earlier entries have been
// issued and nothing of the bad entry or later ones has. Throws LogError
// (log problems) or ReplayError (target problems), naming the entry.
ReplayStats replay_entries(const bb::logwrites::LogReader& reader,
                           const bb::logwrites::LogIndex& index, ReplayTarget& target,
                           uint64_t first, uint64_t last, const ReplayOptions& options);

struct SessionOptions {
  bb::logwrites::ReaderOptions reader;
  bb::logwrites::IndexCacheOptions index;
};

class LogSession {
 public:
  // Opens the log (file or block device), validates its superblock and
  // loads or builds its index. Throws LogError.
  explicit LogSession(const std::string& log_path, const SessionOptions& options = {});

  [[nodiscard]] const bb::logwrites::FileLogSource& source() const { return *source_; }
  const bb::logwrites::LogReader& reader() const { return *reader_; }
  [[nodiscard]] const bb::logwrites::LogIndex& index() const { return cached_.index; }
  const bb::logwrites::CachedIndex& cached_index() const { return cached_; }
  [[nodiscard]] uint32_t sectorsize() const { return reader_->sectorsize(); }

  // Entries usable for replay (a bad entry ends the index; see tail_error()).
  [[nodiscard]] uint64_t entry_count() const { return cached_.index.size(); }
  // The full, validated entry i (re-read from the log).
  [[nodiscard]] bb::logwrites::Entry entry(uint64_t i) const;

  [[nodiscard]] std::optional<uint64_t> find_mark(std::string_view text, uint64_t from = 0) const {
    return index().find_mark(text, from);
  }
  [[nodiscard]] std::optional<uint64_t> next_with_flags(uint64_t mask, uint64_t from) const {
    return index().next_with_flags(mask, from);
  }

  // Replays [first, last]; last >= entry_count() throws the tail error
  // (or LogError kUsage) after replaying what exists.
  ReplayStats replay(ReplayTarget& target, uint64_t first, uint64_t last,
                     const ReplayOptions& options) const;

 private:
  std::unique_ptr<bb::logwrites::FileLogSource> source_;
  std::unique_ptr<bb::logwrites::LogReader> reader_;
  bb::logwrites::CachedIndex cached_;
};

}  // namespace bb::replay
