// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/zram_device.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <string_view>
#include <thread>
#include <utility>

#include "common/file_descriptor.h"
#include "common/system_error.h"

namespace bb::crashcheck {

namespace {

constexpr const char* kControl = "/sys/class/zram-control";

std::string attribute(int id, const char* name) {
  return "/sys/block/zram" + std::to_string(id) + "/" + name;
}

// Writes `text` to the sysfs file `path`; false (errno set) if it cannot.
bool write_text(const std::string& path, std::string_view text) {
  bb::common::FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  return fd && write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

// The number in sysfs file `path`, or -1.
int64_t read_number(const std::string& path) {
  bb::common::FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  char buf[32] = {};
  const ssize_t n = fd ? read(fd.get(), buf, sizeof buf - 1) : -1;
  int64_t value = -1;
  if (n <= 0 || std::from_chars(buf, buf + n, value).ec != std::errc()) return -1;
  return value;
}

// Removes device `id`. A device is busy while anything has it open, and
// other programs open block devices for a moment to look at them (blkid,
// `btrfs check` scanning for a filesystem's devices): try again for up to a
// second before giving up.
bool hot_remove(int id) {
  constexpr int kAttempts = 100;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (write_text(std::string(kControl) + "/hot_remove", std::to_string(id))) return true;
    if (errno != EBUSY) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

ZramDevice::ZramDevice(uint64_t size) : size_(size) {
  const int64_t id = read_number(std::string(kControl) + "/hot_add");
  if (id < 0) bb::common::throw_errno("no zram device to be had (/sys/class/zram-control/hot_add)");
  id_ = static_cast<int>(id);
  if (!write_text(attribute(id_, "disksize"), std::to_string(size))) {
    const int err = errno;
    hot_remove(id_);
    throw bb::common::SystemError(err, "cannot size " + path());
  }
}

ZramDevice::ZramDevice(ZramDevice&& other) noexcept
    : id_(std::exchange(other.id_, -1)), size_(other.size_) {}

ZramDevice::~ZramDevice() {
  if (id_ >= 0) hot_remove(id_);
}

bool remove_zram(int id, uint64_t size) {
  if (read_number(attribute(id, "disksize")) != static_cast<int64_t>(size)) return false;
  return hot_remove(id);
}

}  // namespace bb::crashcheck
