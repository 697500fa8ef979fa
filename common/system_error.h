// SPDX-License-Identifier: GPL-2.0-or-later
// Errors that carry an errno value: a failed system call, or a problem best
// told to a caller (the dirty-log daemon sends it to the kernel) as one.
#pragma once

#include <string>
#include <system_error>

namespace bb::common {

// A std::system_error in the generic (errno) category whose what() is the
// message it was given, unchanged: the sentence names what failed and on
// which path or device.
class SystemError : public std::system_error {
 public:
  SystemError(int errno_value, std::string message);

  // Positive errno (EINVAL, EIO, ENOENT, ...).
  [[nodiscard]] int errno_value() const noexcept { return code().value(); }
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// strerror, thread-safe.
[[nodiscard]] std::string errno_text(int errno_value);

// Throws SystemError(errno, "<what>: <strerror(errno)>") for the current
// errno; `what` says what failed and on which path ("cannot open /x").
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace bb::common
