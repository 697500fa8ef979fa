// SPDX-License-Identifier: GPL-2.0-or-later
// The "disk" dirty log: the kernel's persistent bitmap (see disk_format.h),
// byte-compatible with drivers/md/dm-log.c.
//
// Table parameters: `<log_dev> <region_size> [sync|nosync]`.
//
// resume() reads the log. Without sync/nosync the persisted clean bits
// become the sync bits (regions dirty at a crash get resynced). Where the
// kernel would silently start a fresh log over anything it does not
// recognise, this log refuses: a bad magic, an unknown version or a region
// count that differs from the mirror's throws Error(EINVAL) and the log is
// never rewritten; it then reports every region out of sync and fails
// every flush. A device whose header is all zero is a new log. `sync` and
// `nosync` always start a fresh log, as in the kernel.
//
// flush() keeps the kernel's order: if regions were recorded clean, the
// legs are flushed first (LogTarget::flush_legs) so their data is durable
// before the log says so; then the whole buffer is written; then, if
// regions were newly marked dirty, the log device is flushed, so the marks
// are durable before the mirror issues the data writes they cover.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dirty_log.h"
#include "disk/log_store.h"
#include "region_state.h"

namespace bb::dirtylog {

class DiskLog final : public DirtyLog {
 public:
  // Opens params[0] as the log device.
  DiskLog(const LogTarget& target, std::span<const std::string> params);
  // Uses `store` as the log device; params[0] is ignored.
  DiskLog(const LogTarget& target, std::span<const std::string> params,
          std::unique_ptr<disk::LogStore> store);

  [[nodiscard]] std::string_view type_name() const override { return "disk"; }
  [[nodiscard]] uint32_t region_size() const override { return region_size_; }
  [[nodiscard]] region_t region_count() const override { return state_.count(); }

  void postsuspend() override;
  void resume() override;

  [[nodiscard]] bool is_clean(region_t region) override { return state_.is_clean(region); }
  InSync in_sync(region_t region, bool can_block) override;
  void mark_region(region_t region) override { state_.mark(region); }
  void clear_region(region_t region) override { state_.clear(region); }
  void flush() override;
  [[nodiscard]] std::optional<region_t> get_resync_work() override {
    return state_.next_resync_work();
  }
  void set_region_sync(region_t region, bool in_sync) override { state_.set_sync(region, in_sync); }
  [[nodiscard]] region_t get_sync_count() override { return state_.sync_count(); }
  std::string status(StatusType type) override;

 private:
  void load_persisted_bits();
  void fail_device();
  void write_buffer();

  LogTarget target_;
  uint32_t region_size_;
  SyncMode mode_;
  RegionState state_;
  std::unique_ptr<disk::LogStore> store_;
  std::vector<std::byte> buffer_;
  bool device_failed_ = false;
  bool device_flush_failed_ = false;
};

}  // namespace bb::dirtylog
