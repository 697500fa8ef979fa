// SPDX-License-Identifier: GPL-2.0-or-later
// The on-disk format of the kernel's "disk" dirty log (drivers/md/dm-log.c),
// also used by LVM's cmirrord for clustered-disk logs. Little-endian.
//
//   byte 0          4          8                  16              1024
//        +----------+----------+------------------+---- ... -----+----------------------+---------+
//        | magic    | version  | nr_regions       |   unused     | clean bits           | padding |
//        | 0x4D695272 "MiRr"   | u64              |   (zero)     | 1 bit per region,    | to the  |
//        | u32      | u32 = 2  |                  |              | 1 = clean / in sync, | device's|
//        +----------+----------+------------------+---- ... -----+ bit n = byte n/8,    | logical |
//                                                                | bit n%8; sized in    | block   |
//                                                                | 64-bit words         | size    |
//                                                                +----------------------+---------+
//
// The whole buffer, round_up(1024 + bitmap bytes, logical block size), is
// read at resume and rewritten on every flush. Region size and sync mode
// are not stored: they come from the mirror table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "region_bitset.h"
#include "table_params.h"

namespace bb::dirtylog::disk {

inline constexpr uint32_t kMagic = 0x4D695272;  // "MiRr"
inline constexpr uint32_t kVersion = 2;
// Version 1 was host-endian; on little-endian hosts it is the same bytes.
inline constexpr uint32_t kHostEndianVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kBitmapOffset = 1024;  // LOG_OFFSET = 2 sectors

struct Header {
  uint32_t magic = 0;
  uint32_t version = 0;
  uint64_t nr_regions = 0;
};

// Reads/writes the 16 header bytes at the start of `buffer`.
[[nodiscard]] Header decode_header(std::span<const std::byte> buffer);
void encode_header(const Header& header, std::span<std::byte> buffer);

// True when the header bytes are all zero: a device that never held a log.
[[nodiscard]] bool header_is_blank(std::span<const std::byte> buffer);

// round_up(1024 + bitmap bytes for `regions`, logical_block_size).
[[nodiscard]] size_t buffer_size(uint64_t regions, size_t logical_block_size);

// The clean bits a buffer just read from a log device holds for a mirror
// of `regions` regions, as the disk log's resume decides them (see
// disk_log.h): `sync` and `nosync` and an all-zero header start a fresh
// log (all clean for nosync, none otherwise);
// otherwise a bad magic, an unknown version or another region count throws
// Error(EINVAL) naming `device`, before anything could be written back.
[[nodiscard]] RegionBitset read_clean_bits(std::span<const std::byte> buffer, uint64_t regions,
                                           SyncMode mode, const std::string& device);
// Fills `buffer` (buffer_size() bytes) with the header and the clean bits.
void write_log(const RegionBitset& clean, std::span<std::byte> buffer);

// "MiRr" or the four bytes printed as hex, for error messages.
[[nodiscard]] std::string describe_magic(uint32_t magic);

}  // namespace bb::dirtylog::disk
