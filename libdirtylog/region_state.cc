// SPDX-License-Identifier: GPL-2.0-or-later
#include "region_state.h"

#include <fmt/core.h>

namespace bb::dirtylog {

RegionState::RegionState(region_t count, SyncMode mode)
    : clean_(count, true),
      sync_(count, mode == SyncMode::kNoSync),
      recovering_(count, false),
      clear_after_recovery_(count, false),
      sync_count_(mode == SyncMode::kNoSync ? count : 0) {}

void RegionState::check(region_t region) const {
  if (region >= count()) {
    throw Error(EINVAL,
                fmt::format("region {} out of range (the log has {} regions)", region, count()));
  }
}

bool RegionState::is_clean(region_t region) const {
  check(region);
  return clean_.test(region);
}

bool RegionState::in_sync(region_t region) const {
  check(region);
  return sync_.test(region);
}

void RegionState::mark(region_t region) {
  check(region);
  clean_.reset(region);
  clear_after_recovery_.reset(region);
  touched_dirtied_ = true;
}

// The kernel's own mirror never clears a region it knows to be out of sync
// except right before reporting its recovery. A userspace log can see it
// happen: after a daemon restart the kernel's region hash may still think a
// region is in sync that the log read back as dirty. Recording it clean
// would let the next resume skip its resync, so the clear waits for the
// recovery instead (invariant: NOSYNC never becomes CLEAN unrecovered).
void RegionState::clear(region_t region) {
  check(region);
  touched_cleaned_ = true;
  if (flush_failed_) return;
  if (sync_.test(region)) {
    clean_.set(region);
  } else {
    clear_after_recovery_.set(region);
  }
}

// Next out-of-sync region from the cursor that nobody is recovering yet.
std::optional<region_t> RegionState::next_resync_work() {
  while (sync_search_ < count()) {
    const auto region = sync_.next_clear(sync_search_);
    if (!region) {
      sync_search_ = count();
      return std::nullopt;
    }
    sync_search_ = *region + 1;
    if (recovering_.test(*region)) continue;
    recovering_.set(*region);
    return region;
  }
  return std::nullopt;
}

// Unlike dm-log.c, a repeated "in sync" report does not count twice, so the
// sync count can never exceed the region count.
void RegionState::set_sync(region_t region, bool in_sync) {
  check(region);
  recovering_.reset(region);
  if (in_sync && clear_after_recovery_.test(region)) {
    clear_after_recovery_.reset(region);
    clean_.set(region);
    touched_cleaned_ = true;
  }
  if (in_sync && !sync_.test(region)) {
    sync_.set(region);
    ++sync_count_;
  } else if (!in_sync && sync_.test(region)) {
    sync_.reset(region);
    --sync_count_;
  }
}

void RegionState::fail_flush() {
  flush_failed_ = true;
  clean_.fill(false);
}

void RegionState::load_clean(const RegionBitset& clean) {
  clean_ = clean;
  sync_ = clean;
  sync_count_ = clean.popcount();
  sync_search_ = 0;
  recovering_.fill(false);
  clear_after_recovery_.fill(false);
}

}  // namespace bb::dirtylog
