// SPDX-License-Identifier: GPL-2.0-or-later
// The device or file a log is replayed onto: the one place that applies log
// entries to an image or device (the replay engine, and the crash checker
// building its crash states). Writes are retried until complete; zeroing
// (for discards) never silently does less than asked.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/file_descriptor.h"
#include "format/log_index.h"

namespace bb::replay {

// How a range was zeroed; the first method that works is remembered.
enum class ZeroMethod { kBlkZeroout, kPunchHole, kZeroRange, kWrite };
[[nodiscard]] const char* zero_method_name(ZeroMethod m);

class ReplayTarget {
 public:
  // Opens an existing file or block device for writing (no O_CREAT, as
  // upstream). Throws ReplayError.
  explicit ReplayTarget(const std::string& path);

  [[nodiscard]] const std::string& path() const { return path_; }
  bool is_block_device() const { return block_device_; }
  [[nodiscard]] int fd() const { return fd_.get(); }

  // Writes all of `data` at `offset`, retrying short writes and EINTR.
  void write(uint64_t offset, std::span<const uint8_t> data);
  // Same for a vector of buffers laid out contiguously from `offset`.
  void writev(uint64_t offset, std::vector<iovec> iov);

  // Makes [offset, offset+len) read back as zeroes: BLKZEROOUT on block
  // devices; fallocate PUNCH_HOLE, then ZERO_RANGE, on files (KEEP_SIZE:
  // a discard past the end of a file does not grow it); explicit zero
  // writes when those are unsupported. Returns the method used.
  ZeroMethod zero(uint64_t offset, uint64_t len);

  // Applies log entry number `entry` (`e`, from the index) at its place
  // on the target: a discard zeroes its sectors (zero()), a data write
  // writes `data`, which holds its first data.size() bytes: all of them,
  // or a whole number of sectors for a write torn short; flushes and marks
  // change nothing. Throws ReplayError naming the entry and its log offset
  // (also when `data` is longer than the entry or not whole sectors).
  void apply(uint64_t entry, const bb::logwrites::IndexedEntry& e, uint32_t sectorsize,
             std::span<const uint8_t> data);

  void sync();

  // Called with every range write(), writev() or zero() is about to
  // change: for an owner that keeps what it knows of the target's blocks
  // (a view factory's map of an image file) and refreshes only that.
  using ChangeObserver = std::function<void(uint64_t offset, uint64_t length)>;
  void watch_changes(ChangeObserver observer) { observer_ = std::move(observer); }

 private:
  [[nodiscard]] bool try_fallocate(int mode, uint64_t offset, uint64_t len);
  // zero()'s last resort, which has reported the range already.
  void write_zeroes(uint64_t offset, uint64_t len);
  // writev() without reporting the range.
  void write_unreported(uint64_t offset, std::vector<iovec> iov);

  std::string path_;
  bb::common::FileDescriptor fd_;
  bool block_device_ = false;
  ZeroMethod method_ = ZeroMethod::kPunchHole;
  ChangeObserver observer_;
};

}  // namespace bb::replay
