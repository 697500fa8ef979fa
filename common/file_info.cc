// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/file_info.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "common/file_descriptor.h"
#include "common/system_error.h"

namespace bb::common {

FileInfo file_info(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("cannot stat " + path);
  FileInfo info;
  info.block_device = S_ISBLK(st.st_mode);
  info.regular_file = S_ISREG(st.st_mode);
  info.device = st.st_dev;
  info.inode = st.st_ino;
  info.device_number = st.st_rdev;
  if (info.block_device) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): ioctl(2)
    if (::ioctl(fd, BLKGETSIZE64, &info.size) != 0) throw_errno("cannot read the size of " + path);
  } else {
    info.size = static_cast<uint64_t>(st.st_size);
  }
  return info;
}

uint64_t file_size(const std::string& path) {
  FileDescriptor fd = open_file(path, O_RDONLY);
  return file_info(fd.get(), path).size;
}

bool is_block_device(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}

}  // namespace bb::common
