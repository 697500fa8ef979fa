// SPDX-License-Identifier: GPL-2.0-or-later
// The one error type of the replay engine: a failure on the replay target
// (open, write, zeroing, sync) or a failed check, naming the entry being
// replayed and its log byte offset when there is one. Problems with the
// log itself are LogError (format library).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace bb::replay {

class ReplayError : public std::runtime_error {
 public:
  ReplayError(const std::string& detail, std::optional<uint64_t> entry = std::nullopt,
              std::optional<uint64_t> offset = std::nullopt);

  [[nodiscard]] const std::string& detail() const { return detail_; }
  std::optional<uint64_t> entry() const { return entry_; }
  [[nodiscard]] std::optional<uint64_t> offset() const { return offset_; }

 private:
  std::string detail_;
  std::optional<uint64_t> entry_;
  std::optional<uint64_t> offset_;
};

}  // namespace bb::replay
