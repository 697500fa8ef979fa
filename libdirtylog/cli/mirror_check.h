// SPDX-License-Identifier: GPL-2.0-or-later
// `dirtylog check-mirror`: the mirror invariant on a disk log and the legs
// of the mirror that wrote it, read at one moment (a crash point, or a
// stopped mirror). The invariant: every region whose legs differ is out of
// sync (not clean) in the disk log. A region the log has clean is one the
// next resume will not copy, so its legs must already hold the same bytes.
//
// Every leg is compared, stale or not: bb-mirror's leg state block (the last
// 4 KiB of the log device) only chooses the resync source, and a stale leg
// is by definition behind only in the regions the log has out of sync. So
// the block does not change the rule and is not read (docs/dirtylog.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "disk/log_store.h"

namespace bb::dirtylog::cli {

struct MirrorCheckOptions {
  uint32_t region_size = 0;                // sectors, a power of two
  std::optional<uint64_t> mirror_sectors;  // default: the legs' length
  size_t max_listed = 10;                  // regions named in `broken`
};

// A region that breaks the invariant: its legs differ, the log has it clean.
struct BrokenRegion {
  uint64_t region = 0;
  uint64_t first_sector = 0;
  uint64_t last_sector = 0;            // inclusive
  std::vector<size_t> differing_legs;  // the legs whose bytes differ from leg 0's
};

struct MirrorCheck {
  std::string log_device;  // as the log store names it
  uint64_t regions = 0;
  uint32_t region_size = 0;
  uint64_t mirror_sectors = 0;
  // The log's header is all zero: no flush has written it yet. The kernel's
  // resume (default or `sync`) starts such a log with every region out of
  // sync, so the check takes every region as out of sync.
  bool blank_log = false;
  uint64_t out_of_sync = 0;  // regions the log does not have clean
  uint64_t differing = 0;    // regions whose legs differ
  uint64_t broken_count = 0;
  std::vector<BrokenRegion> broken;  // the first max_listed of them

  [[nodiscard]] bool holds() const { return broken_count == 0; }
};

// Reads the log's clean bits and compares the legs region by region. The
// legs are paths of files or block devices, the mirror starting at sector 0
// of each. Throws Error(EINVAL) for input it cannot check (not a disk log,
// legs of different sizes without a mirror length, a mirror longer than a
// leg, a region count that does not match the log's,
// fewer than two legs) and Error for I/O errors; a broken invariant is a
// result, not an error.
[[nodiscard]] MirrorCheck check_mirror(disk::LogStore& log, const std::vector<std::string>& legs,
                                       const MirrorCheckOptions& options);

// "holds: ..." or one "broken: region N (sectors A-B): ..." line per listed
// region, after a summary line.
[[nodiscard]] std::string mirror_check_text(const MirrorCheck& check);
[[nodiscard]] std::string mirror_check_json(const MirrorCheck& check);

}  // namespace bb::dirtylog::cli
