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
enum class SyncMode { default_sync, nosync, forcesync };

// Region size in sectors: a power of two, 2 <= size <= length_sectors.
std::uint32_t parse_region_size(std::string_view text, std::uint64_t length_sectors);

// "sync" or "nosync"; anything else throws Error(EINVAL).
SyncMode parse_sync_mode(std::string_view text);

// ceil(length / region_size); throws if it does not fit an unsigned int, as
// the kernel requires.
std::uint64_t region_count_for(std::uint64_t length_sectors, std::uint32_t region_size);

// The trailing "sync " / "nosync " of a TABLE status (empty for default).
std::string_view sync_mode_status(SyncMode mode);

// Unsigned decimal, whole string; nullopt otherwise.
std::optional<std::uint64_t> parse_unsigned(std::string_view text);

}  // namespace bb::dirtylog
