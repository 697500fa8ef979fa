#include "error.h"

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace bb::dirtylog {

Error::Error(int errno_value, const std::string& message)
    : std::runtime_error(message), errno_value_(errno_value) {}

std::string errno_text(int errno_value) {
  std::array<char, 128> buffer{};
  // GNU strerror_r returns the message, in `buffer` or in static storage.
  return ::strerror_r(errno_value, buffer.data(), buffer.size());
}

void throw_system_error(const std::string& what) {
  const int saved = errno;
  throw Error(saved, fmt::format("{}: {}", what, errno_text(saved)));
}

}  // namespace bb::dirtylog
