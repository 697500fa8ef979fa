// SPDX-License-Identifier: GPL-2.0-or-later
// The "core" dirty log: regions kept in memory only.
//
// Table parameters: `<region_size> [sync|nosync]`. Without nosync every
// region starts out of sync (a full resync), because nothing survives from
// a previous activation. flush() has nothing to write.
#pragma once

#include <span>
#include <string>

#include "dirty_log.h"
#include "region_state.h"

namespace bb::dirtylog {

class CoreLog final : public DirtyLog {
 public:
  CoreLog(const LogTarget& target, std::span<const std::string> params);

  [[nodiscard]] std::string_view type_name() const override { return "core"; }
  [[nodiscard]] uint32_t region_size() const override { return region_size_; }
  [[nodiscard]] region_t region_count() const override { return state_.count(); }

  [[nodiscard]] bool is_clean(region_t region) override { return state_.is_clean(region); }
  InSync in_sync(region_t region, bool can_block) override;
  void mark_region(region_t region) override { state_.mark(region); }
  void clear_region(region_t region) override { state_.clear(region); }
  void flush() override {}
  [[nodiscard]] std::optional<region_t> get_resync_work() override {
    return state_.next_resync_work();
  }
  void set_region_sync(region_t region, bool in_sync) override { state_.set_sync(region, in_sync); }
  [[nodiscard]] region_t get_sync_count() override { return state_.sync_count(); }
  std::string status(StatusType type) override;

 private:
  CoreLog(const LogTarget& target, uint32_t region_size, SyncMode mode);

  uint32_t region_size_;
  SyncMode mode_;
  RegionState state_;
};

}  // namespace bb::dirtylog
