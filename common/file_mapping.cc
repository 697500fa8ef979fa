// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/file_mapping.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <cerrno>

#include "common/file_descriptor.h"
#include "common/file_info.h"
#include "common/system_error.h"

namespace bb::common {

FileMapping::FileMapping(const std::string& path) {
  FileDescriptor fd = open_file(path, O_RDONLY);
  FileInfo info = file_info(fd.get(), path);
  if (!info.regular_file) throw SystemError(EINVAL, path + " is not a regular file");
  auto size = static_cast<size_t>(info.size);
  if (size == 0) return;
  // MAP_POPULATE: the caller reads every page (checksum), so map them all
  // in one call instead of taking a fault per page.
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
  if (p == MAP_FAILED) throw_errno("cannot map " + path);
  bytes_ = std::span(static_cast<const uint8_t*>(p), size);
}

FileMapping& FileMapping::operator=(FileMapping&& other) noexcept {
  if (this != &other) {
    unmap();
    bytes_ = std::exchange(other.bytes_, {});
  }
  return *this;
}

FileMapping::~FileMapping() { unmap(); }

void FileMapping::unmap() noexcept {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): munmap takes void*
  if (!bytes_.empty()) ::munmap(const_cast<uint8_t*>(bytes_.data()), bytes_.size());
  bytes_ = {};
}

}  // namespace bb::common
