// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/file_info.h"
#include "common/system_error.h"
#include "format/log_error.h"

namespace bb::logwrites {

FileLogSource::FileLogSource(const std::string& path) : path_(path) {
  try {
    fd_ = bb::common::open_file(path, O_RDONLY, 0, "(the log)");
    bb::common::FileInfo info = bb::common::file_info(fd_.get(), path);
    dev_ = info.device;
    ino_ = info.inode;
    block_device_ = info.block_device;
    size_ = info.size;
  } catch (const bb::common::SystemError& err) {
    throw LogError(LogErrorKind::kIo, err.what());
  }
}

void FileLogSource::read_exact(uint64_t offset, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(fd_.get(), out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw LogError(LogErrorKind::kIo,
                     fmt::format("read of {} bytes from {} failed: {}", out.size(), path_,
                                 std::strerror(errno)),
                     std::nullopt, offset);
    }
    if (n == 0) {
      throw LogError(LogErrorKind::kTruncated,
                     fmt::format("log {} ends after {} of {} bytes", path_, done, out.size()),
                     std::nullopt, offset);
    }
    done += static_cast<size_t>(n);
  }
}

void MemoryLogSource::read_exact(uint64_t offset, std::span<uint8_t> out) const {
  if (offset > bytes_.size() || bytes_.size() - offset < out.size()) {
    throw LogError(LogErrorKind::kTruncated, fmt::format("log ends before {} bytes", out.size()),
                   std::nullopt, offset);
  }
  std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
}

}  // namespace bb::logwrites
