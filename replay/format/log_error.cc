// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_error.h"

#include <fmt/format.h>

namespace bb::logwrites {
namespace {

std::string compose(const std::string& detail, std::optional<uint64_t> entry,
                    std::optional<uint64_t> offset) {
  if (entry && offset) return fmt::format("entry {} at log offset {}: {}", *entry, *offset, detail);
  if (offset) return fmt::format("log offset {}: {}", *offset, detail);
  return detail;
}

}  // namespace

LogError::LogError(LogErrorKind kind, const std::string& detail, std::optional<uint64_t> entry,
                   std::optional<uint64_t> offset)
    : std::runtime_error(compose(detail, entry, offset)),
      kind_(kind),
      detail_(detail),
      entry_(entry),
      offset_(offset) {}

}  // namespace bb::logwrites
