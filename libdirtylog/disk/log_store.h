// SPDX-License-Identifier: GPL-2.0-or-later
// Where a disk log lives: a block device or a regular file (an image).
//
// LogStore is the small interface the disk log writes through, so tests can
// record the order of writes and flushes. LogDevice is the real one:
//   * block devices are opened O_DIRECT, because the kernel's mirror reads
//     and writes the same sectors through dm-io, bypassing the page cache;
//     buffered I/O could show us a stale bitmap or leave ours unwritten;
//   * regular files use buffered I/O plus fdatasync, which is durable and
//     works on file systems without O_DIRECT (tmpfs). Their logical block
//     size defaults to 512, that of the disks they usually image.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace bb::dirtylog::disk {

class LogStore {
 public:
  LogStore() = default;
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;
  LogStore(LogStore&&) = delete;
  LogStore& operator=(LogStore&&) = delete;
  virtual ~LogStore() = default;

  // How status names the device: "major:minor" for a block device (as the
  // kernel prints it), the path for a file.
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual size_t logical_block_size() const = 0;
  [[nodiscard]] virtual uint64_t size_bytes() const = 0;
  // Whole-buffer I/O at offset 0; sizes are multiples of logical_block_size.
  virtual void read(std::span<std::byte> buffer) = 0;
  virtual void write(std::span<const std::byte> buffer) = 0;
  // Makes written data durable (a PREFLUSH for a block device).
  virtual void flush() = 0;
};

struct OpenOptions {
  bool writable = true;
  // Logical block size assumed for regular files.
  size_t file_block_size = 512;
  // Regular files only: create the file with this size if it is missing.
  uint64_t create_size = 0;
};

// Opens a path, or "major:minor" (resolved through /sys/dev/block).
// Throws Error(ENOENT, ...) for a missing device.
[[nodiscard]] std::unique_ptr<LogStore> open_log_device(const std::string& path,
                                                        const OpenOptions& options = {});

}  // namespace bb::dirtylog::disk
