// SPDX-License-Identifier: GPL-2.0-or-later
// Reads and validates a log: the superblock on construction, then entries
// sequentially (next()) or at a known position (read_entry()). Every entry
// is validated completely before it is returned: padding, lengths, and that
// its data lies inside the log. Problems throw LogError naming the entry
// and its log byte offset.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "format/log_format.h"
#include "format/log_source.h"

namespace bb::logwrites {

struct Entry {
  uint64_t index = 0;   // 0-based entry number
  uint64_t offset = 0;  // log byte offset of the header sector
  EntryHeader header;
  std::string mark;          // text of a MARK entry (up to data_len or the first NUL)
  uint64_t data_offset = 0;  // log byte offset of the data (offset + sectorsize)
  uint64_t data_bytes = 0;   // bytes of data in the log (0 for discards)
  // The group tag at the end of the header sector (docs/log-format.md,
  // "Groups"), if it has one whose checksum matches. group_tag_bad: the
  // tag's magic is there but not its checksum: not a group entry.
  std::optional<GroupTag> group_tag;
  bool group_tag_bad = false;

  [[nodiscard]] uint64_t next_offset() const { return data_offset + data_bytes; }
  bool has(uint64_t flag) const { return (header.flags & flag) != 0; }
};

struct ReaderOptions {
  // Keep reading past the superblock's nr_entries (a stale count after a
  // full log or unclean teardown) until the first implausible header.
  bool scan_past_end = false;
  // Read as upstream's v1 readers do: the 32-byte header and the mark
  // text only. Group tags are not looked for and header padding is not
  // checked (upstream checks neither).
  bool v1_only = false;
};

// Why a scan past nr_entries stopped.
struct ScanStop {
  uint64_t entry = 0;
  uint64_t offset = 0;
  std::string reason;
};

// Validates one header sector `sector` (exactly sectorsize bytes) of entry
// `index` found at `offset` in a log of `log_size` bytes. Throws LogError.
[[nodiscard]] Entry parse_entry(uint64_t index, uint64_t offset, std::span<const uint8_t> sector,
                                uint32_t sectorsize, uint64_t log_size, bool v1_only = false);

// Validates a superblock read from the first kSuperblockStructBytes (or
// fewer, down to kSuperblockBytes) of a log. Throws LogError.
[[nodiscard]] Superblock parse_superblock(std::span<const uint8_t> bytes);

class LogReader {
 public:
  // Reads and validates the superblock. `source` must outlive the reader.
  explicit LogReader(const LogSource& source, ReaderOptions options = {});

  [[nodiscard]] const Superblock& superblock() const { return sb_; }
  // The superblock sector's group tag, if valid; group_super_bad(): its
  // magic without a matching checksum.
  [[nodiscard]] const std::optional<GroupTag>& group_super() const { return group_super_; }
  [[nodiscard]] bool group_super_bad() const { return group_super_bad_; }
  uint32_t sectorsize() const { return sb_.sectorsize; }
  [[nodiscard]] const LogSource& source() const { return source_; }
  const ReaderOptions& options() const { return options_; }

  // Returns the next entry, or nullopt at the end: after nr_entries
  // entries, or (scan_past_end) at the first implausible header, which
  // scan_stop() then describes. Throws LogError for a bad entry inside
  // nr_entries; the position does not advance past a bad entry.
  [[nodiscard]] std::optional<Entry> next();

  // Positions the sequential cursor at entry `index` whose header is at
  // `offset` (as recorded by an index).
  void seek(uint64_t index, uint64_t offset);
  [[nodiscard]] uint64_t next_index() const { return next_index_; }
  uint64_t next_offset() const { return next_offset_; }

  // Reads and validates the entry at a known position. Throws LogError.
  [[nodiscard]] Entry read_entry(uint64_t index, uint64_t offset) const;

  [[nodiscard]] const std::optional<ScanStop>& scan_stop() const { return scan_stop_; }

 private:
  [[nodiscard]] std::optional<Entry> scan_one();

  const LogSource& source_;
  ReaderOptions options_;
  Superblock sb_;
  std::optional<GroupTag> group_super_;
  bool group_super_bad_ = false;
  uint64_t next_index_ = 0;
  uint64_t next_offset_ = 0;
  std::optional<ScanStop> scan_stop_;
  mutable std::vector<uint8_t> header_;
};

}  // namespace bb::logwrites
