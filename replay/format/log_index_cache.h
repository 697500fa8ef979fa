// SPDX-License-Identifier: GPL-2.0-or-later
// Keeps a log's index on disk so that later runs skip the scan.
//
// Where: `<log>.bbidx` beside a regular-file log whose directory is
// writable; otherwise (block devices, read-only directories) in
// $XDG_CACHE_HOME/blackbox/index (default ~/.cache/blackbox/index) under a
// name derived from the log's canonical path. Never in /dev.
// A cached index is used only after LogIndex::validate() accepts it;
// otherwise it is rebuilt and rewritten. Failing to write the cache is not
// an error (the note says so).
#pragma once

#include <optional>
#include <string>

#include "format/log_index.h"
#include "format/log_reader.h"
#include "format/log_source.h"

namespace bb::logwrites {

struct IndexCacheOptions {
  std::optional<std::string> index_path;  // explicit location; overrides the rules above
  bool use_cache = true;                  // false: build in memory, read/write nothing
  bool full_verify = false;               // validate every header, not a sample
  IndexProgress progress;
};

enum class IndexOrigin { kLoaded, kBuilt, kRebuilt, kInMemory };

struct CachedIndex {
  LogIndex index;
  IndexOrigin origin = IndexOrigin::kInMemory;
  std::string path;  // where it was loaded from / saved to (empty in memory)
  std::string note;  // why it was rebuilt, or why it could not be saved
};

// The cache file path the rules above choose for `log`.
[[nodiscard]] std::string default_index_path(const FileLogSource& log);

[[nodiscard]] CachedIndex load_or_build_index(const FileLogSource& log, LogReader& reader,
                                              const IndexCacheOptions& options);

}  // namespace bb::logwrites
