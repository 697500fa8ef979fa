// SPDX-License-Identifier: GPL-2.0-or-later
// create_log(): makes the dirty log of a type named in a table (core, disk).
#include <fmt/core.h>

#include "core/core_log.h"
#include "dirty_log.h"
#include "disk/disk_log.h"

namespace bb::dirtylog {

std::unique_ptr<DirtyLog> create_log(std::string_view type, const LogTarget& target,
                                     std::span<const std::string> params) {
  if (type == "core") return std::make_unique<CoreLog>(target, params);
  if (type == "disk") return std::make_unique<DiskLog>(target, params);
  throw Error(EINVAL, fmt::format("unknown dirty log type '{}' (known: core, disk)", type));
}

}  // namespace bb::dirtylog
