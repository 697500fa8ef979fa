// SPDX-License-Identifier: GPL-2.0-or-later
#include "core/core_log.h"

#include <fmt/core.h>

namespace bb::dirtylog {

namespace {

uint32_t region_size_param(const LogTarget& target, std::span<const std::string> params) {
  if (params.empty() || params.size() > 2) {
    throw Error(
        EINVAL,
        fmt::format("core log takes 1 or 2 parameters (<region_size> [sync|nosync]), got {}",
                    params.size()));
  }
  return parse_region_size(params[0], target.length_sectors);
}

SyncMode sync_param(std::span<const std::string> params) {
  return params.size() == 2 ? parse_sync_mode(params[1]) : SyncMode::kDefaultSync;
}

}  // namespace

CoreLog::CoreLog(const LogTarget& target, std::span<const std::string> params)
    : CoreLog(target, region_size_param(target, params), sync_param(params)) {}

CoreLog::CoreLog(const LogTarget& target, uint32_t region_size, SyncMode mode)
    : region_size_(region_size),
      mode_(mode),
      state_(region_count_for(target.length_sectors, region_size), mode) {}

InSync CoreLog::in_sync(region_t region, bool /*can_block*/) {
  return state_.in_sync(region) ? InSync::kYes : InSync::kNo;
}

std::string CoreLog::status(StatusType type) {
  if (type == StatusType::kInfo) return "1 core";
  return fmt::format("core {} {} {}", mode_ == SyncMode::kDefaultSync ? 1 : 2, region_size_,
                     sync_mode_status(mode_));
}

}  // namespace bb::dirtylog
