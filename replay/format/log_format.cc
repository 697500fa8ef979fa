// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_format.h"

#include <array>
#include <cassert>

#include <fmt/format.h>

#include "format/log_checksum.h"

namespace bb::logwrites {

void store_le64(std::span<uint8_t> bytes, size_t at, uint64_t value) {
  assert(bytes.size() >= at + 8);
  for (size_t i = 0; i < 8; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

void store_le32(std::span<uint8_t> bytes, size_t at, uint32_t value) {
  assert(bytes.size() >= at + 4);
  for (size_t i = 0; i < 4; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

Superblock decode_superblock(std::span<const uint8_t> bytes) {
  Superblock sb;
  sb.magic = load_le64(bytes, 0);
  sb.version = load_le64(bytes, 8);
  sb.nr_entries = load_le64(bytes, 16);
  sb.sectorsize = load_le32(bytes, 24);
  sb.padding = bytes.size() >= kSuperblockStructBytes ? load_le32(bytes, 28) : 0;
  return sb;
}

void encode_superblock(const Superblock& sb, std::span<uint8_t> bytes) {
  store_le64(bytes, 0, sb.magic);
  store_le64(bytes, 8, sb.version);
  store_le64(bytes, 16, sb.nr_entries);
  store_le32(bytes, 24, sb.sectorsize);
  store_le32(bytes, 28, sb.padding);
}

EntryHeader decode_entry_header(std::span<const uint8_t> bytes) {
  return EntryHeader{load_le64(bytes, 0), load_le64(bytes, 8), load_le64(bytes, 16),
                     load_le64(bytes, 24)};
}

void encode_entry_header(const EntryHeader& h, std::span<uint8_t> bytes) {
  store_le64(bytes, 0, h.sector);
  store_le64(bytes, 8, h.nr_sectors);
  store_le64(bytes, 16, h.flags);
  store_le64(bytes, 24, h.data_len);
}

uint32_t group_tag_checksum(std::span<const uint8_t> sector) {
  uint32_t crc = crc32c(sector.first(kEntryHeaderBytes));
  return crc32c(sector.subspan(sector.size() - kGroupTagBytes, kGroupTagChecksummed), crc);
}

TagState read_group_tag(std::span<const uint8_t> sector, uint64_t magic, GroupTag* tag) {
  if (sector.size() < kEntryHeaderBytes + kGroupTagBytes) return TagState::kNone;
  size_t at = sector.size() - kGroupTagBytes;
  if (load_le64(sector, at) != magic) return TagState::kNone;
  GroupTag t{magic, load_le64(sector, at + 8), load_le64(sector, at + 16),
             load_le32(sector, at + 24), load_le32(sector, at + 28)};
  if (tag != nullptr) *tag = t;
  return t.csum == group_tag_checksum(sector) ? TagState::kValid : TagState::kBadChecksum;
}

void write_group_tag(std::span<uint8_t> sector, GroupTag tag) {
  assert(sector.size() >= kEntryHeaderBytes + kGroupTagBytes);
  size_t at = sector.size() - kGroupTagBytes;
  store_le64(sector, at, tag.magic);
  store_le64(sector, at + 8, tag.group_id);
  store_le64(sector, at + 16, tag.seq);
  store_le32(sector, at + 24, tag.index);
  store_le32(sector, at + 28, group_tag_checksum(sector));
}

bool is_valid_sectorsize(uint64_t sectorsize) {
  return sectorsize >= kMinSectorSize && sectorsize <= kMaxSectorSize &&
         (sectorsize & (sectorsize - 1)) == 0;
}

std::string flags_to_string(uint64_t flags) {
  struct Name {
    uint64_t flag;
    const char* name;
  };
  static constexpr std::array<Name, 5> kNames{{{kFlagFlush, "FLUSH"},
                                               {kFlagFua, "FUA"},
                                               {kFlagDiscard, "DISCARD"},
                                               {kFlagMark, "MARK"},
                                               {kFlagMetadata, "METADATA"}}};
  std::string out;
  for (const auto& n : kNames) {
    if ((flags & n.flag) == 0) continue;
    if (!out.empty()) out += '|';
    out += n.name;
    flags &= ~n.flag;
  }
  if (flags != 0) {
    if (!out.empty()) out += '|';
    out += fmt::format("UNKNOWN.0x{:x}", flags);
  }
  return out.empty() ? "NONE" : out;
}

}  // namespace bb::logwrites
