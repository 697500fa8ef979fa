// SPDX-License-Identifier: GPL-2.0-or-later
// What a file or block device is and how big: the one place that knows a
// block device's size comes from BLKGETSIZE64, not from st_size.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace bb::common {

struct FileInfo {
  uint64_t size = 0;  // bytes: st_size, or BLKGETSIZE64 for a block device
  bool block_device = false;
  bool regular_file = false;
  dev_t device = 0;  // st_dev: the filesystem the file lives on
  ino_t inode = 0;
  dev_t device_number = 0;  // st_rdev: a block device's major:minor
};

// fstat(2) of an open file or block device, sized. `path` names it in
// errors. Throws SystemError "cannot stat <path>: ..." or "cannot read the
// size of <path>: ...".
[[nodiscard]] FileInfo file_info(int fd, const std::string& path);

// The size in bytes of the file or block device at `path` (opened
// read-only for the question). Throws SystemError.
[[nodiscard]] uint64_t file_size(const std::string& path);

// Whether `path` names a block device (false if it cannot be stat()ed).
[[nodiscard]] bool is_block_device(const std::string& path);

}  // namespace bb::common
