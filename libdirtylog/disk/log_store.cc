// SPDX-License-Identifier: GPL-2.0-or-later
#include "disk/log_store.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <utility>

#include <fmt/core.h>

#include "common/file_descriptor.h"
#include "common/file_info.h"
#include "common/system_error.h"
#include "error.h"

namespace bb::dirtylog::disk {

namespace {

struct FreeDeleter {
  void operator()(std::byte* p) const {
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
    std::free(p);
  }
};
using AlignedBuffer = std::unique_ptr<std::byte, FreeDeleter>;

// "/sys/dev/block/M:m/uevent" names the device node as DEVNAME=vdc.
std::string resolve_major_minor(const std::string& text) {
  static const std::regex pattern("^[0-9]+:[0-9]+$");
  if (!std::regex_match(text, pattern)) return text;
  std::ifstream uevent("/sys/dev/block/" + text + "/uevent");
  std::string line;
  while (std::getline(uevent, line)) {
    if (line.starts_with("DEVNAME=")) return "/dev/" + line.substr(8);
  }
  throw Error(ENOENT, fmt::format("log device {}: no such block device", text));
}

class LogDevice final : public LogStore {
 public:
  LogDevice(std::string name, bb::common::FileDescriptor fd, size_t block_size, uint64_t size)
      : name_(std::move(name)), fd_(std::move(fd)), block_size_(block_size), size_(size) {}

  [[nodiscard]] std::string name() const override { return name_; }
  [[nodiscard]] size_t logical_block_size() const override { return block_size_; }
  [[nodiscard]] uint64_t size_bytes() const override { return size_; }

  void read(std::span<std::byte> buffer) override {
    auto bounce = aligned(buffer.size());
    transfer(bounce.get(), buffer.size(), false);
    std::memcpy(buffer.data(), bounce.get(), buffer.size());
  }

  void write(std::span<const std::byte> buffer) override {
    auto bounce = aligned(buffer.size());
    std::memcpy(bounce.get(), buffer.data(), buffer.size());
    transfer(bounce.get(), buffer.size(), true);
  }

  // fdatasync on a block device sends a cache flush to the disk.
  void flush() override {
    if (::fdatasync(fd_.get()) != 0)
      bb::common::throw_errno(fmt::format("flush of log device {}", name_));
  }

 private:
  // O_DIRECT wants buffers aligned to the logical block size; a page
  // satisfies every block size we meet.
  [[nodiscard]] static AlignedBuffer aligned(size_t size) {
    constexpr size_t kAlignment = 4096;
    const size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc)
    AlignedBuffer buffer(static_cast<std::byte*>(std::aligned_alloc(kAlignment, rounded)));
    if (!buffer) throw Error(ENOMEM, "out of memory for the log buffer");
    std::memset(buffer.get(), 0, rounded);
    return buffer;
  }

  void transfer(std::byte* data, size_t size, bool writing) {
    size_t done = 0;
    while (done < size) {
      const auto offset = static_cast<off_t>(done);
      const ssize_t n = writing ? ::pwrite(fd_.get(), data + done, size - done, offset)
                                : ::pread(fd_.get(), data + done, size - done, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        bb::common::throw_errno(
            fmt::format("{} log device {}", writing ? "write to" : "read from", name_));
      }
      if (n == 0)
        throw Error(EIO, fmt::format("log device {}: short {}", name_, writing ? "write" : "read"));
      done += static_cast<size_t>(n);
    }
  }

  std::string name_;
  bb::common::FileDescriptor fd_;
  size_t block_size_;
  uint64_t size_;
};

}  // namespace

std::unique_ptr<LogStore> open_log_device(const std::string& path_or_dev,
                                          const OpenOptions& options) {
  const std::string path = resolve_major_minor(path_or_dev);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT || options.create_size == 0)
      bb::common::throw_errno(fmt::format("log device {}", path));
  } else if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
    throw Error(EINVAL, fmt::format("log device {}: not a block device or regular file", path));
  }
  const bool block = S_ISBLK(st.st_mode);
  int flags = options.writable ? O_RDWR : O_RDONLY;
  flags |= O_CLOEXEC;
  if (block) flags |= O_DIRECT;
  if (!block && options.create_size != 0) flags |= O_CREAT;
  bb::common::FileDescriptor fd = bb::common::open_file(path, flags, 0644, "(the log device)");
  bb::common::FileInfo info = bb::common::file_info(fd.get(), path);

  uint64_t size = info.size;
  size_t block_size = options.file_block_size;
  std::string name = path;
  if (info.block_device) {
    int sector_size = 0;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg)
    if (::ioctl(fd.get(), BLKSSZGET, &sector_size) != 0) {
      bb::common::throw_errno(fmt::format("cannot size log device {}", path));
    }
    block_size = static_cast<size_t>(sector_size);
    name = fmt::format("{}:{}", major(info.device_number), minor(info.device_number));
  } else if (size == 0 && options.create_size != 0) {
    if (::ftruncate(fd.get(), static_cast<off_t>(options.create_size)) != 0) {
      bb::common::throw_errno(fmt::format("cannot size {}", path));
    }
    size = options.create_size;
  }
  return std::make_unique<LogDevice>(name, std::move(fd), block_size, size);
}

}  // namespace bb::dirtylog::disk
