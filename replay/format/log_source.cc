#include "format/log_source.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "format/log_error.h"

namespace bb::logwrites {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

int FileDescriptor::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

FileLogSource::FileLogSource(const std::string& path) : path_(path) {
  fd_ = FileDescriptor(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_) {
    throw LogError(LogErrorKind::kIo, fmt::format("cannot open log {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) {
    throw LogError(LogErrorKind::kIo, fmt::format("cannot stat log {}: {}", path, std::strerror(errno)));
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  block_device_ = S_ISBLK(st.st_mode);
  if (block_device_) {
    uint64_t bytes = 0;
    if (::ioctl(fd_.get(), BLKGETSIZE64, &bytes) != 0) {
      throw LogError(LogErrorKind::kIo,
                     fmt::format("cannot get size of block device {}: {}", path, std::strerror(errno)));
    }
    size_ = bytes;
  } else {
    size_ = static_cast<uint64_t>(st.st_size);
  }
}

void FileLogSource::read_exact(uint64_t offset, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_.get(), out.data() + done, out.size() - done,
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw LogError(LogErrorKind::kIo,
                     fmt::format("read of {} bytes from {} failed: {}", out.size(), path_, std::strerror(errno)),
                     std::nullopt, offset);
    }
    if (n == 0) {
      throw LogError(LogErrorKind::kTruncated,
                     fmt::format("log {} ends after {} of {} bytes", path_, done, out.size()), std::nullopt,
                     offset);
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

FileMapping::FileMapping(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    throw LogError(LogErrorKind::kIo, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) throw LogError(LogErrorKind::kIo, fmt::format("{} is not a regular file", path));
  auto size = static_cast<size_t>(st.st_size);
  if (size == 0) return;
  // MAP_POPULATE: the caller reads every page (checksum), so map them all
  // in one call instead of taking a fault per page.
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
  if (p == MAP_FAILED) {
    throw LogError(LogErrorKind::kIo, fmt::format("cannot map {}: {}", path, std::strerror(errno)));
  }
  bytes_ = std::span(static_cast<const uint8_t*>(p), size);
}

FileMapping& FileMapping::operator=(FileMapping&& other) noexcept {
  if (this != &other) {
    if (!bytes_.empty()) ::munmap(const_cast<uint8_t*>(bytes_.data()), bytes_.size());
    bytes_ = std::exchange(other.bytes_, {});
  }
  return *this;
}

FileMapping::~FileMapping() {
  if (!bytes_.empty()) ::munmap(const_cast<uint8_t*>(bytes_.data()), bytes_.size());
}

}  // namespace bb::logwrites
