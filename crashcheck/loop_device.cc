// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/loop_device.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "common/file_descriptor.h"
#include "common/process.h"
#include "common/system_error.h"

namespace bb::crashcheck {

namespace {

// Another thread or process may grab the device LOOP_CTL_GET_FREE handed
// us before we configure it; then we ask again.
constexpr int kAttachAttempts = 64;

// Attaches loop_fd to file_fd with `flags` and a logical block size
// (0: the kernel's default).
int configure(int loop_fd, int file_fd, uint32_t flags, uint32_t block_size) {
  loop_config config{};
  config.fd = static_cast<uint32_t>(file_fd);
  config.block_size = block_size;
  config.info.lo_flags = flags;
  if (ioctl(loop_fd, LOOP_CONFIGURE, &config) == 0) return 0;
  if (errno != EINVAL && errno != ENOTTY) return -1;
  // A kernel that refuses direct I/O or the block size for this file: a
  // plain buffered device.
  if (flags != 0 || block_size != 0) return configure(loop_fd, file_fd, 0, 0);
  // Kernels before 5.8 have no LOOP_CONFIGURE.
  return ioctl(loop_fd, LOOP_SET_FD, file_fd);
}

struct Attached {
  bb::common::FileDescriptor fd;
  std::string path;
};

// Finds a free loop device and attaches it to `file_fd`.
Attached attach_free(int file_fd, uint32_t flags, uint32_t block_size, const std::string& file) {
  bb::common::FileDescriptor control =
      bb::common::open_file("/dev/loop-control", O_RDWR, 0, "(is the loop module loaded?)");
  for (int attempt = 0; attempt < kAttachAttempts; ++attempt) {
    int n = ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) break;
    std::string path = "/dev/loop" + std::to_string(n);
    bb::common::FileDescriptor loop(open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!loop) continue;
    if (configure(loop.get(), file_fd, flags, block_size) == 0)
      return {std::move(loop), std::move(path)};
    // EBUSY: another process took it first; anything else is an error.
    if (errno != EBUSY) bb::common::throw_errno(fmt::format("cannot attach {} to {}", path, file));
  }
  bb::common::throw_errno("cannot attach a loop device to " + file);
}

// /sys/block/<name>/<attribute> of the device at `device` (/dev/<name>).
std::string sysfs_path(const std::string& device, const char* attribute) {
  return "/sys/block/" + device.substr(device.rfind('/') + 1) + "/" + attribute;
}

}  // namespace

bool uses_direct_io(const std::string& device) {
  bb::common::FileDescriptor fd(open(sysfs_path(device, "loop/dio").c_str(), O_RDONLY | O_CLOEXEC));
  char c = '0';
  return fd && read(fd.get(), &c, 1) == 1 && c == '1';
}

void set_write_cache(const std::string& device, bool cached) {
  bb::common::FileDescriptor fd(
      open(sysfs_path(device, "queue/write_cache").c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return;
  std::string_view mode = cached ? "write back" : "write through";
  [[maybe_unused]] ssize_t n = write(fd.get(), mode.data(), mode.size());
}

// The backing file is open only while a device is being attached to it
// (the kernel keeps its own reference).
LoopDevice::LoopDevice(const std::string& file) {
  bb::common::FileDescriptor backing = bb::common::open_file(file, O_RDWR, 0, "for a loop device");
  Attached a = attach_free(backing.get(), 0, 0, file);
  fd_ = std::move(a.fd);
  path_ = std::move(a.path);
}

LoopDevice::~LoopDevice() {
  if (fd_) ioctl(fd_.get(), LOOP_CLR_FD, 0);
}

const std::string& LoopSlot::attach(const std::string& file, uint32_t block_size) {
  detach();
  uint32_t flags = LO_FLAGS_DIRECT_IO;
  bb::common::FileDescriptor backing = bb::common::open_file(file, O_RDWR, 0, "for a loop device");
  if (!path_.empty()) {
    bb::common::FileDescriptor again(open(path_.c_str(), O_RDWR | O_CLOEXEC));
    // Unless another process took the device while it was free.
    if (again && configure(again.get(), backing.get(), flags, block_size) == 0)
      fd_ = std::move(again);
  }
  if (!fd_) {
    Attached a = attach_free(backing.get(), flags, block_size, file);
    fd_ = std::move(a.fd);
    path_ = std::move(a.path);
  }
  // A view needs no flush (see set_write_cache()), but switching costs a
  // queue freeze each way: worth it only where a flush would write back a
  // page cache, i.e. where the kernel dropped direct I/O.
  write_through_ = !uses_direct_io(path_);
  if (write_through_) set_write_cache(path_, false);
  return path_;
}

void LoopSlot::detach() {
  if (!fd_) return;
  // Newer kernels only mark the device for clearing and clear it at the
  // last close; older ones clear it here. Either way it is free once we
  // close it (nothing else holds it after the check's umount and fsck).
  // The next user of the device gets it as the kernel makes it.
  if (write_through_) set_write_cache(path_, true);
  write_through_ = false;
  ioctl(fd_.get(), LOOP_CLR_FD, 0);
  fd_ = bb::common::FileDescriptor();
}

LoopSlot::~LoopSlot() { detach(); }

BoundLoop::BoundLoop(const std::string& file, uint32_t block_size) : block_size_(block_size) {
  bb::common::FileDescriptor backing = bb::common::open_file(file, O_RDWR, 0, "for a loop device");
  Attached a = attach_free(backing.get(), LO_FLAGS_DIRECT_IO, block_size, file);
  path_ = std::move(a.path);
  write_through_ = !uses_direct_io(path_);
  if (write_through_) set_write_cache(path_, false);
}

bool BoundLoop::idle() const { return bb::common::can_open_exclusively(path_); }

BoundLoop::~BoundLoop() {
  if (write_through_) set_write_cache(path_, true);
  bb::common::FileDescriptor fd(open(path_.c_str(), O_RDWR | O_CLOEXEC));
  if (fd) ioctl(fd.get(), LOOP_CLR_FD, 0);
}

}  // namespace bb::crashcheck
