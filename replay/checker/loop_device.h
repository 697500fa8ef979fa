// A loop device attached to a file for as long as the object lives: how a
// file view becomes the block device a mount or an fsck needs.
#pragma once

#include <string>

namespace bb::checker {

class LoopDevice {
 public:
  // Attaches a free loop device to `file` (read-write, buffered, so it sees
  // the same page cache as file I/O). Throws CheckerError.
  explicit LoopDevice(const std::string& file);
  LoopDevice(LoopDevice&& other) noexcept;
  LoopDevice& operator=(LoopDevice&&) = delete;
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  // Detaches; a device still held open (udev probing it) is detached by the
  // kernel when the last opener closes it.
  ~LoopDevice();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace bb::checker
