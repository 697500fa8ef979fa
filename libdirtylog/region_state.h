// SPDX-License-Identifier: GPL-2.0-or-later
// The in-memory state shared by the core and disk logs, as the kernel's
// struct log_c in drivers/md/dm-log.c keeps it: clean bits (1 = no write in
// flight; what the disk log persists), sync bits (1 = legs agree),
// recovering bits, the sync count and the resync cursor.
#pragma once

#include <cstdint>
#include <optional>

#include "dirty_log.h"
#include "region_bitset.h"
#include "table_params.h"

namespace bb::dirtylog {

class RegionState {
 public:
  // Clean bits all set; sync bits set only for nosync, as the kernel does.
  RegionState(region_t count, SyncMode mode);

  [[nodiscard]] region_t count() const { return clean_.count(); }

  [[nodiscard]] bool is_clean(region_t region) const;
  [[nodiscard]] bool in_sync(region_t region) const;
  void mark(region_t region);
  // Ignored after a failed leg flush: then nothing may be recorded clean.
  // A region out of sync is only recorded clean once it is recovered
  // (set_sync true), so the next resume cannot mistake it for in sync.
  void clear(region_t region);
  [[nodiscard]] std::optional<region_t> next_resync_work();
  void set_sync(region_t region, bool in_sync);
  [[nodiscard]] region_t sync_count() const { return sync_count_; }

  // What flush() has to persist.
  [[nodiscard]] bool touched_dirtied() const { return touched_dirtied_; }
  [[nodiscard]] bool touched_cleaned() const { return touched_cleaned_; }
  void forget_dirtied() { touched_dirtied_ = false; }
  void forget_cleaned() { touched_cleaned_ = false; }

  // A leg flush failed: no region can be known clean any more.
  void fail_flush();
  [[nodiscard]] bool flush_failed() const { return flush_failed_; }

  // After reading a persisted clean bitmap: sync = clean, cursor reset.
  void load_clean(const RegionBitset& clean);
  [[nodiscard]] const RegionBitset& clean_bits() const { return clean_; }

 private:
  void check(region_t region) const;

  RegionBitset clean_;
  RegionBitset sync_;
  RegionBitset recovering_;
  RegionBitset clear_after_recovery_;
  region_t sync_count_ = 0;
  region_t sync_search_ = 0;
  bool touched_dirtied_ = false;
  bool touched_cleaned_ = false;
  bool flush_failed_ = false;
};

}  // namespace bb::dirtylog
