// SPDX-License-Identifier: GPL-2.0-or-later
// The one error type of the format library. Every problem with a log (or
// with an index file) is reported as a LogError that says what is wrong
// and, when it concerns an entry, which entry and at which log byte offset.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace bb::logwrites {

// The index file (.bbidx) stores a tail error's kind as this number:
// values are fixed, never renumbered; a new kind takes the next one.
enum class LogErrorKind : uint32_t {
  kIo = 0,         // open/read/stat failed
  kTruncated = 1,  // log ends inside the superblock, a header or data
  kBadMagic = 2,
  kBadVersion = 3,
  kBadSectorSize = 4,
  kMalformedEntry = 5,  // all-zero header, garbage padding, bad data_len
  kOverflow = 6,        // sector or length arithmetic overflows 64 bits
  kBadIndex = 7,        // an index file that is corrupt or does not match
  kUsage = 8,           // caller asked for something the log cannot give
};

class LogError : public std::runtime_error {
 public:
  // `detail` is the bare problem ("header padding is not zero at byte 40");
  // what() prefixes "entry N at log offset O: " when entry is known.
  LogError(LogErrorKind kind, const std::string& detail,
           std::optional<uint64_t> entry = std::nullopt,
           std::optional<uint64_t> offset = std::nullopt);

  [[nodiscard]] LogErrorKind kind() const { return kind_; }
  const std::string& detail() const { return detail_; }
  [[nodiscard]] std::optional<uint64_t> entry() const { return entry_; }
  std::optional<uint64_t> offset() const { return offset_; }

 private:
  LogErrorKind kind_;
  std::string detail_;
  std::optional<uint64_t> entry_;
  std::optional<uint64_t> offset_;
};

}  // namespace bb::logwrites
