// SPDX-License-Identifier: GPL-2.0-or-later
// The status and table of blackbox's own targets, parsed: the one place
// that reads bb-mirror's and bb-log-writes' status fields (bbctl,
// bb-healthd). Formats: docs/bb-mirror.md and docs/bb-log-writes.md,
// "Status" and "Table". Every parser throws std::invalid_argument
// "<device>: ..." naming the field that is missing or wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bb::devmapper {

inline constexpr std::string_view kMirrorTarget = "bb-mirror";
inline constexpr std::string_view kLogWritesTarget = "bb-log-writes";

struct MirrorLegStatus {
  std::string dev;    // major:minor
  char health = 'A';  // dm-raid1's letter: A, F, D, S, R, U
  char state = 'A';   // A current, F failed, S stale
};

struct MirrorStatus {
  std::vector<MirrorLegStatus> legs;
  uint64_t in_sync = 0;  // regions
  uint64_t total = 0;
  std::string log_type;  // first word of the dirty log's status: core, disk, ...
  std::string resync;    // idle, running, paused
  uint64_t copied = 0;
  uint64_t remaining = 0;
  uint64_t rate = 0;  // KiB/s
  uint64_t eta = 0;   // s
  int source_leg = -1;
};
[[nodiscard]] MirrorStatus parse_mirror_status(const std::string& device, std::string_view params);

struct MirrorLeg {
  std::string dev;      // as the table names it (major:minor once loaded)
  uint64_t offset = 0;  // sectors
};
// "<log type> <#log args> <log args>... <#legs> <dev> <offset>... [<#features> ...]".
[[nodiscard]] std::vector<MirrorLeg> parse_mirror_legs(const std::string& device,
                                                       std::string_view table_params);

struct LogWritesStatus {
  uint64_t entries = 0;
  uint64_t highest_sector = 0;
  std::string state;  // logging, full, error
  uint64_t used = 0;
  uint64_t free = 0;
  std::string stop;        // -, log_full, log_error, no_memory
  std::string stop_entry;  // - or an entry number
};
[[nodiscard]] LogWritesStatus parse_log_writes_status(const std::string& device,
                                                      std::string_view params);

// The words of a table or status line's parameters.
[[nodiscard]] std::vector<std::string> split_params(std::string_view params);

}  // namespace bb::devmapper
