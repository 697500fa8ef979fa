#include "error.h"

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace bb::dirtylog {

Error::Error(int errno_value, const std::string& message)
    : std::runtime_error(message), errno_value_(errno_value) {}

void throw_system_error(const std::string& what) {
  const int saved = errno;
  throw Error(saved, fmt::format("{}: {}", what, std::strerror(saved)));
}

}  // namespace bb::dirtylog
