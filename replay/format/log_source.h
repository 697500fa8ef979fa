// SPDX-License-Identifier: GPL-2.0-or-later
// Where a log's bytes come from: a file or block device (FileLogSource) or
// memory (MemoryLogSource, for tests and fuzzing). Readers only need
// random-access reads and the total size.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/file_descriptor.h"

namespace bb::logwrites {

class LogSource {
 public:
  LogSource() = default;
  LogSource(const LogSource&) = delete;
  LogSource& operator=(const LogSource&) = delete;
  virtual ~LogSource() = default;

  [[nodiscard]] virtual uint64_t size() const = 0;
  // Reads exactly out.size() bytes at `offset`; throws LogError (kIo or
  // kTruncated) otherwise. Retries short reads and EINTR.
  virtual void read_exact(uint64_t offset, std::span<uint8_t> out) const = 0;
  [[nodiscard]] virtual std::string name() const = 0;
};

class FileLogSource final : public LogSource {
 public:
  // Opens read-only. Block devices are sized with BLKGETSIZE64. Throws LogError.
  explicit FileLogSource(const std::string& path);

  [[nodiscard]] uint64_t size() const override { return size_; }
  void read_exact(uint64_t offset, std::span<uint8_t> out) const override;
  [[nodiscard]] std::string name() const override { return path_; }

  [[nodiscard]] int fd() const { return fd_.get(); }
  bool is_block_device() const { return block_device_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  dev_t device() const { return dev_; }
  [[nodiscard]] ino_t inode() const { return ino_; }

 private:
  std::string path_;
  bb::common::FileDescriptor fd_;
  uint64_t size_ = 0;
  bool block_device_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// Reads from a caller-owned buffer that must outlive the source.
class MemoryLogSource final : public LogSource {
 public:
  explicit MemoryLogSource(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  [[nodiscard]] uint64_t size() const override { return bytes_.size(); }
  void read_exact(uint64_t offset, std::span<uint8_t> out) const override;
  [[nodiscard]] std::string name() const override { return "<memory>"; }

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace bb::logwrites
