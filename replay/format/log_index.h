// SPDX-License-Identifier: GPL-2.0-or-later
// One pass over a log gives, per entry, its log offset, flags and sector
// range, and for marks their text. Seeking to entry N is O(1); the next
// entry with given flags after N, or a mark by name, is O(log N).
//
// A bad entry inside nr_entries does not make the index unusable: the
// index covers the good prefix and keeps the error (tail_error()), so
// replays that stop before it work as with upstream, and anything that
// needs to go further reports that error.
//
// Index file layout (all little-endian), see docs/log-format.md:
//   "BBIDX\0v1" u32 format=2 u32 sectorsize u64 log_size u64 nr_entries
//   u64 header_checksum u32 flags(bit0: scanned past nr_entries) u32 0
//   u64 count, count x {u64 offset, sector, nr_sectors, flags}
//   5 x {u64 n, n x u64 entry}: entries having flag bit 0..4, ascending
//   u64 marks, marks x {u64 entry, u32 len, text}
//   u8 has_tail_error [u64 entry, u64 offset, u32 kind, u32 len, text]
//   u8 has_scan_stop [u64 entry, u64 offset, u32 len, text]
//   u32 group flags (bit0: superblock group tag, bit1: its checksum is bad)
//   u32 index, u64 group_id (of the superblock tag, else 0)
//   u64 n (0 or count), n x u64 group sequence (0: entry has no valid tag)
//   u8 has_group_problem [u64 entry, u32 len, text]
//   u64 checksum of everything before (lane_hash64)
// Every table is 8-byte aligned, so a mapped file's entry and flag tables
// are used in place (load()): a warm seek reads no more than the file's
// pages, one checksum pass and one consistency pass.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/file_mapping.h"
#include "format/log_checksum.h"
#include "format/log_error.h"
#include "format/log_reader.h"
#include "format/log_source.h"

namespace bb::logwrites {

struct IndexedEntry {
  uint64_t offset = 0;  // log byte offset of the header
  uint64_t sector = 0;
  uint64_t nr_sectors = 0;
  uint64_t flags = 0;

  bool operator==(const IndexedEntry&) const = default;
};
// The index file stores IndexedEntry as these four words, so that a
// mapped file can be viewed as an array of it.
static_assert(sizeof(IndexedEntry) == 32 && alignof(IndexedEntry) <= 8);

struct IndexTailError {
  uint64_t entry = 0;
  uint64_t offset = 0;
  LogErrorKind kind = LogErrorKind::kMalformedEntry;
  std::string detail;

  [[nodiscard]] LogError error() const { return LogError(kind, detail, entry, offset); }
};

using IndexProgress = std::function<void(uint64_t entries_done, uint64_t log_offset)>;

class LogIndex {
 public:
  // Reads every entry from the start of `reader`'s log.
  [[nodiscard]] static LogIndex build(LogReader& reader, const IndexProgress& progress = {});

  [[nodiscard]] uint32_t sectorsize() const { return sectorsize_; }
  uint64_t size() const { return entries_.size(); }
  [[nodiscard]] const IndexedEntry& at(uint64_t i) const;
  std::span<const IndexedEntry> entries() const { return entries_; }
  [[nodiscard]] uint64_t superblock_entries() const { return nr_entries_; }
  uint64_t log_size() const { return log_size_; }

  [[nodiscard]] uint64_t data_bytes(uint64_t i) const;
  // Log byte offset just past entry i (header and data).
  [[nodiscard]] uint64_t end_offset(uint64_t i) const;

  // First entry >= from having any flag in `mask`.
  [[nodiscard]] std::optional<uint64_t> next_with_flags(uint64_t mask, uint64_t from) const;
  // First MARK entry >= from whose text equals `text`.
  [[nodiscard]] std::optional<uint64_t> find_mark(std::string_view text, uint64_t from = 0) const;
  const std::string* mark_text(uint64_t entry) const;
  // (entry, text) in entry order.
  [[nodiscard]] const std::vector<std::pair<uint64_t, std::string>>& marks() const {
    return marks_;
  }

  // Groups (docs/log-format.md "Groups"). The superblock's group tag, each
  // entry's group sequence (0: no valid tag; empty when no entry has one),
  // and the first entry whose tag does not fit a group log of this
  // superblock (no tag, a bad checksum, another group or index).
  [[nodiscard]] const std::optional<GroupTag>& group_super() const { return group_super_; }
  [[nodiscard]] bool group_super_bad() const { return group_super_bad_; }
  [[nodiscard]] uint64_t group_seq(uint64_t i) const { return i < seqs_.size() ? seqs_[i] : 0; }
  [[nodiscard]] std::span<const uint64_t> group_seqs() const { return seqs_; }
  struct GroupProblem {
    uint64_t entry = 0;
    std::string detail;
  };
  [[nodiscard]] const std::optional<GroupProblem>& group_problem() const { return group_problem_; }

  [[nodiscard]] const std::optional<IndexTailError>& tail_error() const { return tail_error_; }
  const std::optional<ScanStop>& scan_stop() const { return scan_stop_; }
  [[nodiscard]] bool scanned_past_end() const { return scanned_past_end_; }
  uint64_t header_checksum() const { return header_checksum_; }

  [[nodiscard]] std::vector<uint8_t> serialize() const;
  // Throws LogError(kBadIndex) if `bytes` is not a well-formed index.
  // The tables are copied out of `bytes`.
  [[nodiscard]] static LogIndex deserialize(std::span<const uint8_t> bytes);
  // The same for a mapped index file, whose tables are used in place
  // (copied only on a big-endian host); the index keeps `file` mapped.
  [[nodiscard]] static LogIndex load(std::shared_ptr<const bb::common::FileMapping> file);

  // Checks that this index still describes `reader`'s log: size,
  // superblock, scan mode, and headers (a sample of up to kSampleSize
  // evenly spaced ones plus the last, or all of them with `full`, which
  // also recomputes the header checksum). Throws LogError(kBadIndex).
  void validate(const LogReader& reader, bool full) const;

  static constexpr uint64_t kSampleSize = 1024;
  // Flag bits with a lookup table: FLUSH, FUA, DISCARD, MARK, METADATA.
  static constexpr size_t kFlagTables = 5;

 private:
  // The entry and per-flag tables, owned here or viewed in a mapped file.
  // Immutable once made and shared, so copies of an index are cheap and
  // the spans below stay valid whichever copy outlives the others.
  struct Tables {
    std::vector<IndexedEntry> entries;
    std::array<std::vector<uint64_t>, kFlagTables> by_flag;
    std::shared_ptr<const bb::common::FileMapping> file;
  };

  [[nodiscard]] static LogIndex parse(std::span<const uint8_t> bytes,
                                      std::shared_ptr<const bb::common::FileMapping> file);
  void adopt(std::shared_ptr<const Tables> tables);
  void check_tables() const;
  void index_marks();
  static void checksum_header(Fnv64& sum, const Entry& e);
  void note_group_entry(const Entry& e);

  uint32_t sectorsize_ = 0;
  uint64_t log_size_ = 0;
  uint64_t nr_entries_ = 0;
  uint64_t header_checksum_ = 0;
  bool scanned_past_end_ = false;
  std::shared_ptr<const Tables> tables_;
  std::span<const IndexedEntry> entries_;
  std::array<std::span<const uint64_t>, kFlagTables> by_flag_;
  std::vector<std::pair<uint64_t, std::string>> marks_;
  std::optional<IndexTailError> tail_error_;
  std::optional<ScanStop> scan_stop_;
  std::optional<GroupTag> group_super_;
  bool group_super_bad_ = false;
  std::vector<uint64_t> seqs_;
  std::optional<GroupProblem> group_problem_;

  // Derived from marks_ after build/parse.
  std::unordered_map<std::string, std::vector<uint64_t>> marks_by_text_;
};

}  // namespace bb::logwrites
