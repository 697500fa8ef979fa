// SPDX-License-Identifier: GPL-2.0-or-later
// What `dirtylog` reads from and writes to a disk log: the report of an
// existing log (header, counts, runs of clean and dirty regions) and the
// creation of a new one. Separate from main.cc so the tests can use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "disk/disk_format.h"
#include "disk/log_store.h"
#include "region_bitset.h"

namespace bb::dirtylog::cli {

// A maximal run of regions in the same state.
struct RegionRun {
  bool clean = false;
  uint64_t first = 0;
  uint64_t last = 0;
};

struct ReportOptions {
  std::optional<uint32_t> region_size;     // sectors; not stored on disk
  std::optional<uint64_t> device_sectors;  // the mirror's length
};

struct LogReport {
  std::string device;  // as status names it
  uint64_t device_bytes = 0;
  size_t logical_block_size = 0;
  disk::Header header;
  bool blank = false;
  std::string problem;  // empty when the log is valid
  size_t buffer_bytes = 0;
  std::optional<RegionBitset> clean;  // present when the log is valid
  std::optional<uint32_t> region_size;
  std::vector<RegionRun> runs;

  [[nodiscard]] bool valid() const { return problem.empty(); }
  [[nodiscard]] uint64_t sync_count() const { return clean ? clean->popcount() : 0; }
};

// Reads and checks a log. Never throws for a log it does not understand:
// the reason goes to `problem`. Throws Error for I/O errors.
[[nodiscard]] LogReport read_report(disk::LogStore& store, const ReportOptions& options);

[[nodiscard]] std::vector<RegionRun> region_runs(const RegionBitset& clean);

// "clean regions 0, dirty 1-3, clean 4-5" (ENBD style).
[[nodiscard]] std::string format_runs(const std::vector<RegionRun>& runs);

[[nodiscard]] std::string report_text(const LogReport& report);
// One line per run: "dirty regions 1-3 (sectors 1024-4095)".
[[nodiscard]] std::string dump_text(const LogReport& report);
std::string report_json(const LogReport& report);

// Parses "1-3,7,9-12" into inclusive ranges; throws Error(EINVAL).
[[nodiscard]] std::vector<std::pair<uint64_t, uint64_t>> parse_region_list(const std::string& text);

struct CreateOptions {
  uint64_t regions = 0;
  std::vector<std::pair<uint64_t, uint64_t>> dirty;
  bool force = false;  // overwrite something that is not a blank device
};

// Writes a version-2 log with every region clean except `dirty`, then
// flushes. Refuses (Error EEXIST) to overwrite a non-blank device unless
// forced, and (Error EINVAL) regions out of range or a too-small device.
void create_log(disk::LogStore& store, const CreateOptions& options);

}  // namespace bb::dirtylog::cli
