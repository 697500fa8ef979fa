// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/file_descriptor.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <utility>

#include "common/system_error.h"

namespace bb::common {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

FileDescriptor::~FileDescriptor() { reset(); }

int FileDescriptor::release() { return std::exchange(fd_, -1); }

void FileDescriptor::reset() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

FileDescriptor open_file(const std::string& path, int flags, mode_t mode, const std::string& why) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-vararg): open(2)
  FileDescriptor fd(::open(path.c_str(), flags | O_CLOEXEC, mode));
  if (!fd) throw_errno("cannot open " + path + (why.empty() ? "" : " " + why));
  return fd;
}

Pipe make_pipe() {
  std::array<int, 2> fds{-1, -1};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) throw_errno("cannot make a pipe");
  return Pipe{FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

}  // namespace bb::common
