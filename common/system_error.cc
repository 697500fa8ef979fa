// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/system_error.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace bb::common {

SystemError::SystemError(int errno_value, std::string message)
    : std::system_error(errno_value, std::generic_category()), message_(std::move(message)) {}

std::string errno_text(int errno_value) {
  std::array<char, 128> buffer{};
  // GNU strerror_r returns the message, in `buffer` or in static storage.
  return ::strerror_r(errno_value, buffer.data(), buffer.size());
}

void throw_errno(const std::string& what) {
  const int saved = errno;
  throw SystemError(saved, what + ": " + errno_text(saved));
}

}  // namespace bb::common
