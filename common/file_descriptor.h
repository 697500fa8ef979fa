// SPDX-License-Identifier: GPL-2.0-or-later
// Owned file descriptors, and opening a file or block device into one.
#pragma once

#include <sys/types.h>

#include <string>

namespace bb::common {

// Owns a file descriptor; closes it on destruction. Move-only.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  [[nodiscard]] int get() const { return fd_; }
  // Gives up ownership: the caller closes the returned descriptor.
  [[nodiscard]] int release();
  // Closes now (if open).
  void reset();
  [[nodiscard]] explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// open(2) with O_CLOEXEC added, owned. Throws SystemError
// "cannot open <path>[ <why>]: <strerror>".
[[nodiscard]] FileDescriptor open_file(const std::string& path, int flags, mode_t mode = 0,
                                       const std::string& why = "");

// A pipe (O_CLOEXEC at both ends). Throws SystemError.
struct Pipe {
  FileDescriptor read;
  FileDescriptor write;
};
[[nodiscard]] Pipe make_pipe();

}  // namespace bb::common
