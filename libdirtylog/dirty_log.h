// SPDX-License-Identifier: GPL-2.0-or-later
// The dirty-region log interface.
//
// A mirror splits its device into regions of a power-of-two number of
// 512-byte sectors and asks its log two questions: "is this region being
// written?" (clean bits) and "does every leg hold the same data here?"
// (sync bits). The operations are those of the kernel's
// struct dm_dirty_log_type (include/linux/dm-dirty-log.h), with the same
// meaning:
//
//   mark_region / clear_region   change the clean bit in memory only;
//   flush                        makes every mark and clear durable;
//   get_resync_work              hands out the next region to copy;
//   set_region_sync              reports that copy's result.
//
// Implementations: core/ (memory), disk/ (the kernel's on-disk bitmap),
// userspace/ (requests to a dm-log-userspace daemon). Each is constructed
// from the same table parameters the kernel's log of that name takes.
// All operations report failures by throwing bb::dirtylog::Error.
// A log is not thread-safe; callers serialise (as the kernel's mirror does).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "error.h"

namespace bb::dirtylog {

using region_t = uint64_t;

// What the mirror tells its log at construction.
struct LogTarget {
  // Length of the mirrored device in 512-byte sectors (ti->len).
  uint64_t length_sectors = 0;
  // Flushes the legs (an empty PREFLUSH to each). Called by the disk log
  // before it records regions clean; throws on failure. May be empty.
  std::function<void()> flush_legs;
};

enum class StatusType { kInfo, kTable };

enum class InSync { kNo, kYes, kWouldBlock };

class DirtyLog {
 public:
  DirtyLog() = default;
  DirtyLog(const DirtyLog&) = delete;
  DirtyLog& operator=(const DirtyLog&) = delete;
  DirtyLog(DirtyLog&&) = delete;
  DirtyLog& operator=(DirtyLog&&) = delete;
  virtual ~DirtyLog() = default;

  // "core", "disk" or "userspace".
  [[nodiscard]] virtual std::string_view type_name() const = 0;
  // Region size in 512-byte sectors (a power of two).
  [[nodiscard]] virtual uint32_t region_size() const = 0;
  // ceil(length_sectors / region_size).
  [[nodiscard]] virtual region_t region_count() const = 0;

  // Suspend/resume hooks. Between postsuspend and resume a log must not
  // touch its storage. The disk log reads its bitmap in resume(), so a log
  // must be resumed once before it is used.
  virtual void presuspend() {}
  virtual void postsuspend() {}
  virtual void resume() {}

  // True if no write is in flight in the region (its clean bit is set).
  [[nodiscard]] virtual bool is_clean(region_t region) = 0;
  // Whether the region has been recovered. A log that must ask someone
  // else answers kWouldBlock when can_block is false.
  [[nodiscard]] virtual InSync in_sync(region_t region, bool can_block) = 0;
  // Clear/set the clean bit in memory; made durable by flush().
  virtual void mark_region(region_t region) = 0;
  virtual void clear_region(region_t region) = 0;
  virtual void flush() = 0;

  // Next region to recover, or nullopt when there is none.
  [[nodiscard]] virtual std::optional<region_t> get_resync_work() = 0;
  // Result of recovering `region`; also ends its "recovering" state.
  virtual void set_region_sync(region_t region, bool in_sync) = 0;
  [[nodiscard]] virtual region_t get_sync_count() = 0;
  // Cluster logs only: another node is recovering the region.
  [[nodiscard]] virtual bool is_remote_recovering(region_t /*region*/) { return false; }

  // The kernel's status strings: INFO ("1 core", "3 disk 7:0 A") and
  // TABLE ("core 2 1024 nosync ").
  [[nodiscard]] virtual std::string status(StatusType type) = 0;
};

// Creates a "core" or "disk" log from its table parameters, e.g.
// create_log("disk", target, {"/dev/vdc", "1024", "nosync"}).
// The userspace log needs a transport: see userspace/userspace_log.h.
[[nodiscard]] std::unique_ptr<DirtyLog> create_log(std::string_view type, const LogTarget& target,
                                                   std::span<const std::string> params);

}  // namespace bb::dirtylog
