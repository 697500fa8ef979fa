// SPDX-License-Identifier: GPL-2.0-or-later
#include "table_params.h"

#include <charconv>
#include <limits>

#include <fmt/core.h>

#include "error.h"

namespace bb::dirtylog {

std::optional<uint64_t> parse_unsigned(std::string_view text) {
  uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

uint32_t parse_region_size(std::string_view text, uint64_t length_sectors) {
  const auto value = parse_unsigned(text);
  if (!value || *value > std::numeric_limits<uint32_t>::max()) {
    throw Error(
        EINVAL,
        fmt::format("invalid region size '{}': expected a number of 512-byte sectors", text));
  }
  if ((*value & (*value - 1)) != 0 || *value < 2) {
    throw Error(EINVAL,
                fmt::format("invalid region size {}: must be a power of two and at least 2 sectors",
                            *value));
  }
  if (*value > length_sectors) {
    throw Error(EINVAL, fmt::format("invalid region size {}: larger than the device ({} sectors)",
                                    *value, length_sectors));
  }
  return static_cast<uint32_t>(*value);
}

SyncMode parse_sync_mode(std::string_view text) {
  if (text == "sync") return SyncMode::kForceSync;
  if (text == "nosync") return SyncMode::kNoSync;
  throw Error(
      EINVAL,
      fmt::format("unrecognised sync argument to dirty region log: '{}' (expected sync or nosync)",
                  text));
}

uint64_t region_count_for(uint64_t length_sectors, uint32_t region_size) {
  const uint64_t count = (length_sectors + region_size - 1) / region_size;
  if (count > std::numeric_limits<uint32_t>::max()) {
    throw Error(EINVAL, fmt::format("region count {} too large", count));
  }
  return count;
}

std::string_view sync_mode_status(SyncMode mode) {
  switch (mode) {
    case SyncMode::kNoSync:
      return "nosync ";
    case SyncMode::kForceSync:
      return "sync ";
    case SyncMode::kDefaultSync:
      break;
  }
  return "";
}

}  // namespace bb::dirtylog
