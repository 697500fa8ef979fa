// SPDX-License-Identifier: GPL-2.0-or-later
// Writes v1 logs the way the kernel target lays them out. Tests, the test
// vector generator and bb-log-builder make logs with it. The superblock
// count is written by finish() (the kernel rewrites it on FUA and MARK;
// finish() is the "clean teardown" point).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/file_descriptor.h"
#include "format/log_format.h"
#include "format/log_source.h"

namespace bb::logwrites {

// Where written log bytes go.
class LogSink {
 public:
  LogSink() = default;
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;
  virtual ~LogSink() = default;
  virtual void write_at(uint64_t offset, std::span<const uint8_t> bytes) = 0;
};

class MemoryLogSink final : public LogSink {
 public:
  void write_at(uint64_t offset, std::span<const uint8_t> bytes) override;
  [[nodiscard]] const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// Creates (or truncates) a regular file, or writes into an existing block
// device. Throws LogError.
class FileLogSink final : public LogSink {
 public:
  explicit FileLogSink(const std::string& path);
  void write_at(uint64_t offset, std::span<const uint8_t> bytes) override;

 private:
  std::string path_;
  bb::common::FileDescriptor fd_;
};

// The group sequence the writers of one group share (the kernel's
// atomic64 per group): take() gives 1, 2, 3, ...
class GroupClock {
 public:
  uint64_t take() { return ++last_; }
  [[nodiscard]] uint64_t last() const { return last_; }

 private:
  uint64_t last_ = 0;
};

struct WriterGroup {
  uint64_t group_id = 0;
  uint32_t index = 0;
  std::shared_ptr<GroupClock> clock;
};

struct WriterOptions {
  uint32_t sectorsize = 512;
  // Value for superblock bytes 28-31, which the kernel fills from an
  // uninitialised stack variable. Readers must ignore it.
  uint32_t superblock_padding = 0;
  // A device of a recording group: the superblock and every entry carry a
  // group tag (docs/log-format.md "Groups"), marks leave room for it.
  std::optional<WriterGroup> group;
};

class LogWriter {
 public:
  // Writes an initial superblock with nr_entries 0. `sink` must outlive the writer.
  LogWriter(LogSink& sink, WriterOptions options);

  // Each call appends one entry and returns its number. `data` must be a
  // whole number of sectors. Throws LogError(kUsage) on misuse.
  uint64_t write(uint64_t sector, std::span<const uint8_t> data, uint64_t flags = 0);
  uint64_t flush();
  uint64_t discard(uint64_t sector, uint64_t nr_sectors, uint64_t extra_flags = 0);
  // At most sectorsize - 33 bytes (group: sectorsize - 65), like the kernel.
  uint64_t mark(std::string_view text);
  [[nodiscard]] size_t max_mark() const;

  // Group logs: the next entry takes `seq` instead of the clock's next
  // number (for tests of out-of-order or duplicate sequences).
  void set_next_seq(uint64_t seq) { next_seq_ = seq; }
  // The sequence number the last entry got (0 outside a group).
  [[nodiscard]] uint64_t last_seq() const { return last_seq_; }

  // Appends an arbitrary header (any fields, any padding) followed by
  // `data` verbatim: for corrupt-log tests. `header_tail` is copied to
  // header byte 32 onwards.
  uint64_t raw_entry(const EntryHeader& h, std::span<const uint8_t> header_tail,
                     std::span<const uint8_t> data);

  // Rewrites the superblock with `nr_entries` (default: entries written).
  void finish();
  void finish_with_count(uint64_t nr_entries);

  [[nodiscard]] uint64_t entries() const { return entries_; }
  uint64_t end_offset() const { return offset_; }
  [[nodiscard]] uint32_t sectorsize() const { return options_.sectorsize; }

 private:
  void write_superblock(uint64_t nr_entries);
  uint64_t append(const EntryHeader& h, std::span<const uint8_t> header_tail,
                  std::span<const uint8_t> data);

  LogSink& sink_;
  WriterOptions options_;
  uint64_t entries_ = 0;
  uint64_t offset_ = 0;
  std::vector<uint8_t> sector_;
  std::optional<uint64_t> next_seq_;
  uint64_t last_seq_ = 0;
};

}  // namespace bb::logwrites
