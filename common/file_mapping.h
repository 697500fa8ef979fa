// SPDX-License-Identifier: GPL-2.0-or-later
// A regular file mapped read-only: its bytes are used in place, without a
// copy or a zero-filled buffer (the replay log's index files).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace bb::common {

// Move-only; unmaps on destruction. Throws SystemError if the file cannot
// be opened or mapped, or (EINVAL) is not a regular file.
class FileMapping {
 public:
  explicit FileMapping(const std::string& path);
  FileMapping(FileMapping&& other) noexcept : bytes_(std::exchange(other.bytes_, {})) {}
  FileMapping& operator=(FileMapping&& other) noexcept;
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;
  ~FileMapping();

  [[nodiscard]] std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  void unmap() noexcept;

  std::span<const uint8_t> bytes_;
};

}  // namespace bb::common
