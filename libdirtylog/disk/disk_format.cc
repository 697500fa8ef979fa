// SPDX-License-Identifier: GPL-2.0-or-later
#include "disk/disk_format.h"

#include <algorithm>

#include <fmt/core.h>

#include "error.h"
#include "region_bitset.h"

namespace bb::dirtylog::disk {

namespace {

uint64_t load_le(std::span<const std::byte> bytes) {
  uint64_t value = 0;
  for (size_t i = bytes.size(); i-- > 0;)
    value = (value << 8) | std::to_integer<uint64_t>(bytes[i]);
  return value;
}

void store_le(uint64_t value, std::span<std::byte> bytes) {
  for (auto& byte : bytes) {
    byte = static_cast<std::byte>(value & 0xFFU);
    value >>= 8;
  }
}

}  // namespace

Header decode_header(std::span<const std::byte> buffer) {
  if (buffer.size() < kHeaderSize) throw Error(EINVAL, "disk log buffer shorter than its header");
  return Header{static_cast<uint32_t>(load_le(buffer.subspan(0, 4))),
                static_cast<uint32_t>(load_le(buffer.subspan(4, 4))),
                load_le(buffer.subspan(8, 8))};
}

void encode_header(const Header& header, std::span<std::byte> buffer) {
  if (buffer.size() < kHeaderSize) throw Error(EINVAL, "disk log buffer shorter than its header");
  store_le(header.magic, buffer.subspan(0, 4));
  store_le(header.version, buffer.subspan(4, 4));
  store_le(header.nr_regions, buffer.subspan(8, 8));
}

bool header_is_blank(std::span<const std::byte> buffer) {
  const auto header = buffer.subspan(0, std::min(buffer.size(), kHeaderSize));
  return std::all_of(header.begin(), header.end(), [](std::byte b) { return b == std::byte{0}; });
}

size_t buffer_size(uint64_t regions, size_t logical_block_size) {
  const size_t raw = kBitmapOffset + RegionBitset::byte_size_for(regions);
  return (raw + logical_block_size - 1) / logical_block_size * logical_block_size;
}

RegionBitset read_clean_bits(std::span<const std::byte> buffer, uint64_t regions, SyncMode mode,
                             const std::string& device) {
  const auto header = decode_header(buffer);
  RegionBitset clean(regions, mode == SyncMode::kNoSync);
  const bool fresh = mode != SyncMode::kDefaultSync || header_is_blank(buffer);
  if (fresh) return clean;
  if (header.magic != kMagic) {
    throw Error(
        EINVAL,
        fmt::format("log device {} holds no disk dirty log (magic {}, expected {}); refusing "
                    "to overwrite it: use 'sync' or 'nosync' to start a new log",
                    device, describe_magic(header.magic), describe_magic(kMagic)));
  }
  if (header.version != kVersion && header.version != kHostEndianVersion) {
    throw Error(EINVAL, fmt::format("log device {}: incompatible disk log version {} (expected {})",
                                    device, header.version, kVersion));
  }
  if (header.nr_regions != regions) {
    throw Error(EINVAL,
                fmt::format("log device {} records {} regions but the mirror has {}: wrong region "
                            "size or device size? use 'sync' to start a new log",
                            device, header.nr_regions, regions));
  }
  if (buffer.size() < kBitmapOffset + clean.byte_size())
    throw Error(EINVAL, fmt::format("log device {}: buffer too short for its bitmap", device));
  clean.load(buffer.subspan(kBitmapOffset));
  return clean;
}

void write_log(const RegionBitset& clean, std::span<std::byte> buffer) {
  encode_header({kMagic, kVersion, clean.count()}, buffer);
  clean.store(buffer.subspan(kBitmapOffset, clean.byte_size()));
}

std::string describe_magic(uint32_t magic) {
  if (magic == kMagic) return "0x4d695272 (MiRr)";
  return fmt::format("{:#010x}", magic);
}

}  // namespace bb::dirtylog::disk
