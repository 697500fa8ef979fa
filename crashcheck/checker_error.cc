#include "crashcheck/checker_error.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace bb::crashcheck {

void throw_errno(const std::string& what) {
  throw CheckerError(what + ": " + std::strerror(errno));
}

bb::logwrites::FileDescriptor open_file(const std::string& path, int flags, mode_t mode, const std::string& why) {
  bb::logwrites::FileDescriptor fd(open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd) throw_errno("cannot open " + path + (why.empty() ? "" : " " + why));
  return fd;
}

bool is_block_device(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}

uint64_t device_bytes(const std::string& device) {
  bb::logwrites::FileDescriptor fd = open_file(device, O_RDONLY);
  uint64_t bytes = 0;
  if (ioctl(fd.get(), BLKGETSIZE64, &bytes) != 0) throw_errno("cannot read the size of " + device);
  return bytes;
}

}  // namespace bb::crashcheck
