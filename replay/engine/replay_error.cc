// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/replay_error.h"

#include <fmt/format.h>

namespace bb::replay {
namespace {

std::string compose(const std::string& detail, std::optional<uint64_t> entry,
                    std::optional<uint64_t> offset) {
  if (entry && offset) return fmt::format("entry {} at log offset {}: {}", *entry, *offset, detail);
  if (entry) return fmt::format("entry {}: {}", *entry, detail);
  return detail;
}

}  // namespace

ReplayError::ReplayError(const std::string& detail, std::optional<uint64_t> entry,
                         std::optional<uint64_t> offset)
    : std::runtime_error(compose(detail, entry, offset)),
      detail_(detail),
      entry_(entry),
      offset_(offset) {}

}  // namespace bb::replay
