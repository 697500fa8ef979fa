// The one error type of libdirtylog.
//
// Every failure carries a positive errno value so that the daemon can send
// it back to the kernel unchanged (as -errno in dm_ulog_request.error) and a
// sentence a user can act on.
#pragma once

#include <stdexcept>
#include <string>

namespace bb::dirtylog {

class Error : public std::runtime_error {
 public:
  Error(int errno_value, const std::string& message);

  // Positive errno (EINVAL, EIO, ESRCH, ...).
  [[nodiscard]] int errno_value() const noexcept { return errno_value_; }

 private:
  int errno_value_;
};

// strerror, thread-safe.
std::string errno_text(int errno_value);

// Throws Error(errno, "<what>: <strerror(errno)>") for the current errno.
[[noreturn]] void throw_system_error(const std::string& what);

}  // namespace bb::dirtylog
