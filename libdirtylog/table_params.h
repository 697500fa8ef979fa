// SPDX-License-Identifier: GPL-2.0-or-later
// Parsing of the table parameters shared by the core and disk logs:
// `<region_size> [sync|nosync]` (the disk log puts `<log_dev>` first).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bb::dirtylog {

// DEFAULTSYNC: use the persisted state (disk) or resync everything (core).
// nosync: assume every region is in sync. forcesync ("sync"): resync all.
enum class SyncMode { kDefaultSync, kNoSync, kForceSync };

// Region size in sectors: a power of two, 2 <= size <= length_sectors.
[[nodiscard]] uint32_t parse_region_size(std::string_view text, uint64_t length_sectors);

// "sync" or "nosync"; anything else throws Error(EINVAL).
[[nodiscard]] SyncMode parse_sync_mode(std::string_view text);

// ceil(length / region_size); throws if it does not fit an unsigned int, as
// the kernel requires.
[[nodiscard]] uint64_t region_count_for(uint64_t length_sectors, uint32_t region_size);

// The trailing "sync " / "nosync " of a TABLE status (empty for default).
[[nodiscard]] std::string_view sync_mode_status(SyncMode mode);

// Unsigned decimal, whole string; nullopt otherwise.
[[nodiscard]] std::optional<uint64_t> parse_unsigned(std::string_view text);

}  // namespace bb::dirtylog
