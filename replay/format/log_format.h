// SPDX-License-Identifier: GPL-2.0-or-later
// The dm-log-writes log format, version 1: constants, the two on-disk
// records and their little-endian encoding. Nothing else lives here.
//
// The log is a superblock sector followed by entries. Every header and the
// superblock occupy one whole "log sector" of `sectorsize` bytes; all
// positions and lengths inside entries are in units of `sectorsize` (the
// logical block size of the logged data device), not 512-byte sectors.
//
//   byte 0            sectorsize        sectorsize*2 ...
//   +-----------------+-----------------+----------------------+---------
//   | superblock      | entry 0 header  | entry 0 data         | entry 1
//   | (one sector)    | (one sector)    | nr_sectors*sectorsize| header...
//   +-----------------+-----------------+----------------------+---------
//
// Superblock (first 28 bytes meaningful, rest of the sector zero):
//   0  u64 magic       0x6a736677736872 ("rhswfsj\0" on disk)
//   8  u64 version     1
//  16  u64 nr_entries  entries that follow; the only end marker
//  24  u32 sectorsize  bytes per log sector
//  28  u32 (padding)   the kernel writes sizeof(struct) = 32 bytes from an
//                      uninitialised stack variable: may hold garbage
//
// Entry header (one sector):
//   0  u64 sector      target position, in log sectors
//   8  u64 nr_sectors  length, in log sectors
//  16  u64 flags       FLUSH 0x1, FUA 0x2, DISCARD 0x4, MARK 0x8, METADATA 0x10
//  24  u64 data_len    bytes of inline data (mark text) at byte 32; else 0
//  32  ...             mark text, then zero padding to the end of the sector
//
// Data of nr_sectors*sectorsize bytes follows the header directly, except
// for DISCARD entries, which carry none. Flushes and marks have
// nr_sectors == 0. There are no checksums: zero padding is the only
// integrity check the format offers.
//
// Group tag (bb-log-writes feature group=<name>:<index>; docs/log-format.md
// "Groups"): the last 32 bytes of every header sector, and of the
// superblock sector, where v1 readers see padding:
//   S-32 u64 magic     "bbGRPtag" (entry) or "bbGRPsup" (superblock)
//   S-24 u64 group_id  random, chosen when the group was made
//   S-16 u64 seq       place in the group's global order (from 1); 0 in the superblock
//   S-8  u32 index     the device's index in the group
//   S-4  u32 csum      CRC32C of sector bytes 0..31, then tag bytes 0..27
// The C owner is dm-targets/bb-log-format.h (struct bb_log_group_tag).
#pragma once

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace bb::logwrites {
namespace detail {
[[nodiscard]] constexpr uint64_t byteswap64(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | ((v >> (8 * i)) & 0xff);
  return r;
}
}  // namespace detail

inline constexpr uint64_t kMagic = 0x6a736677736872ULL;
inline constexpr uint64_t kVersion = 1;

// Sector sizes we accept. The kernel uses the data device's logical block
// size (512 or 4096 in practice); QEMU allows 32..2^23 but a header needs
// 32 bytes plus room for a mark, and nothing real uses more than 64 KiB.
inline constexpr uint32_t kMinSectorSize = 512;
inline constexpr uint32_t kMaxSectorSize = 64 * 1024;

inline constexpr size_t kSuperblockBytes = 28;        // meaningful bytes
inline constexpr size_t kSuperblockStructBytes = 32;  // what the kernel writes
inline constexpr size_t kEntryHeaderBytes = 32;
inline constexpr size_t kMarkTextOffset = 32;

inline constexpr uint64_t kFlagFlush = 1U << 0;
inline constexpr uint64_t kFlagFua = 1U << 1;
inline constexpr uint64_t kFlagDiscard = 1U << 2;
inline constexpr uint64_t kFlagMark = 1U << 3;
inline constexpr uint64_t kFlagMetadata = 1U << 4;
inline constexpr uint64_t kKnownFlags = 0x1f;

// The group tag (see the top of this file).
inline constexpr uint64_t kGroupTagMagic = 0x6761745052476262ULL;    // "bbGRPtag"
inline constexpr uint64_t kGroupSuperMagic = 0x7075735052476262ULL;  // "bbGRPsup"
inline constexpr size_t kGroupTagBytes = 32;
inline constexpr size_t kGroupTagChecksummed = 28;
inline constexpr uint32_t kGroupMaxDevices = 64;

struct GroupTag {
  uint64_t magic = kGroupTagMagic;
  uint64_t group_id = 0;
  uint64_t seq = 0;
  uint32_t index = 0;
  uint32_t csum = 0;

  bool operator==(const GroupTag&) const = default;
};

// What the last kGroupTagBytes of a sector hold.
enum class TagState {
  kNone,         // no tag magic there: a plain v1 sector
  kValid,        // magic and checksum match
  kBadChecksum,  // the magic, but the checksum does not match
};

// `sector` is a whole header or superblock sector (at least 64 bytes).
// Reads the tag at its end; `magic` is kGroupTagMagic or kGroupSuperMagic.
[[nodiscard]] TagState read_group_tag(std::span<const uint8_t> sector, uint64_t magic,
                                      GroupTag* tag);
// Writes `tag` (csum computed here) into the last kGroupTagBytes of
// `sector`, whose first 32 bytes must already hold the header.
void write_group_tag(std::span<uint8_t> sector, GroupTag tag);
[[nodiscard]] uint32_t group_tag_checksum(std::span<const uint8_t> sector);

// The mark the kernel logs on a clean teardown.
inline constexpr std::string_view kEndMark = "dm-log-writes-end";

struct Superblock {
  uint64_t magic = kMagic;
  uint64_t version = kVersion;
  uint64_t nr_entries = 0;
  uint32_t sectorsize = 0;
  uint32_t padding = 0;  // bytes 28-31; never interpreted

  bool operator==(const Superblock&) const = default;
};

struct EntryHeader {
  uint64_t sector = 0;
  uint64_t nr_sectors = 0;
  uint64_t flags = 0;
  uint64_t data_len = 0;

  bool operator==(const EntryHeader&) const = default;
};

// Little-endian field access; `bytes` must hold at+8 (at+4) bytes.
// Inline: the index loader calls these millions of times.
[[nodiscard]] inline uint64_t load_le64(std::span<const uint8_t> bytes, size_t at) {
  assert(bytes.size() >= at + 8);
  uint64_t v = 0;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return std::endian::native == std::endian::little ? v : detail::byteswap64(v);
}
[[nodiscard]] inline uint32_t load_le32(std::span<const uint8_t> bytes, size_t at) {
  assert(bytes.size() >= at + 4);
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= uint32_t{bytes[at + i]} << (8 * i);
  return v;
}
void store_le64(std::span<uint8_t> bytes, size_t at, uint64_t value);
void store_le32(std::span<uint8_t> bytes, size_t at, uint32_t value);

// `bytes` must hold at least kSuperblockBytes (decode) or
// kSuperblockStructBytes (encode). Encoding writes the padding field too.
[[nodiscard]] Superblock decode_superblock(std::span<const uint8_t> bytes);
void encode_superblock(const Superblock& sb, std::span<uint8_t> bytes);

// `bytes` must hold at least kEntryHeaderBytes.
[[nodiscard]] EntryHeader decode_entry_header(std::span<const uint8_t> bytes);
void encode_entry_header(const EntryHeader& h, std::span<uint8_t> bytes);

[[nodiscard]] bool is_valid_sectorsize(uint64_t sectorsize);

// Bytes of data that follow the header in the log: 0 for discards.
// Callers must have checked that nr_sectors * sectorsize does not overflow.
[[nodiscard]] inline uint64_t logged_data_bytes(const EntryHeader& h, uint32_t sectorsize) {
  return (h.flags & kFlagDiscard) != 0 ? 0 : h.nr_sectors * sectorsize;
}

// Upstream's human-readable flags: "FUA|METADATA", "UNKNOWN.0x20", "NONE".
[[nodiscard]] std::string flags_to_string(uint64_t flags);

}  // namespace bb::logwrites
