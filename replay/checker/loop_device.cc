#include "checker/loop_device.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "checker/checker_error.h"

namespace bb::checker {

namespace {

// Another thread or process may grab the device LOOP_CTL_GET_FREE handed
// us before we configure it; then we ask again.
constexpr int kAttachAttempts = 64;

int configure(int loop_fd, int file_fd) {
  loop_config config{};
  config.fd = static_cast<uint32_t>(file_fd);
  if (ioctl(loop_fd, LOOP_CONFIGURE, &config) == 0) return 0;
  if (errno != EINVAL && errno != ENOTTY) return -1;
  // Kernels before 5.8 have no LOOP_CONFIGURE.
  return ioctl(loop_fd, LOOP_SET_FD, file_fd);
}

}  // namespace

LoopDevice::LoopDevice(const std::string& file) {
  int file_fd = open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (file_fd < 0) throw_errno("cannot open " + file + " for a loop device");
  int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (control < 0) {
    close(file_fd);
    throw_errno("cannot open /dev/loop-control (is the loop module loaded?)");
  }
  for (int attempt = 0; attempt < kAttachAttempts && fd_ < 0; ++attempt) {
    int n = ioctl(control, LOOP_CTL_GET_FREE);
    if (n < 0) break;
    std::string path = "/dev/loop" + std::to_string(n);
    int loop_fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (loop_fd < 0) continue;
    if (configure(loop_fd, file_fd) == 0) {
      fd_ = loop_fd;
      path_ = path;
    } else {
      close(loop_fd);
      if (errno != EBUSY) break;
    }
  }
  int saved = errno;
  close(control);
  close(file_fd);
  if (fd_ < 0) {
    errno = saved;
    throw_errno("cannot attach a loop device to " + file);
  }
}

LoopDevice::LoopDevice(LoopDevice&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

LoopDevice::~LoopDevice() {
  if (fd_ < 0) return;
  ioctl(fd_, LOOP_CLR_FD, 0);
  close(fd_);
}

}  // namespace bb::checker
