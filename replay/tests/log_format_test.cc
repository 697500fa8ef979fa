// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_format.h"

#include <array>
#include <vector>

#include <gtest/gtest.h>

#include "format/log_checksum.h"

namespace bb::logwrites {
namespace {

TEST(LogFormat, SuperblockRoundTripKeepsPaddingSeparate) {
  std::array<uint8_t, 32> raw{};
  Superblock sb{kMagic, kVersion, 42, 4096, 0xdeadbeef};
  encode_superblock(sb, raw);
  // "rhswfsj\0" little-endian magic.
  EXPECT_EQ(raw[0], 0x72);
  EXPECT_EQ(raw[6], 0x6a);
  EXPECT_EQ(raw[7], 0x00);
  EXPECT_EQ(load_le32(raw, 24), 4096U);  // sectorsize at offset 24, not 28
  EXPECT_EQ(decode_superblock(raw), sb);
  // Only 28 bytes are meaningful: decoding them alone works.
  Superblock short_sb = decode_superblock(std::span(raw).first(28));
  EXPECT_EQ(short_sb.sectorsize, 4096U);
  EXPECT_EQ(short_sb.padding, 0U);
}

TEST(LogFormat, EntryHeaderRoundTrip) {
  std::array<uint8_t, 32> raw{};
  EntryHeader h{1, 2, kFlagFua | kFlagMetadata, 0};
  encode_entry_header(h, raw);
  EXPECT_EQ(decode_entry_header(raw), h);
  EXPECT_EQ(load_le64(raw, 16), 0x12U);
}

TEST(LogFormat, SectorSizes) {
  EXPECT_TRUE(is_valid_sectorsize(512));
  EXPECT_TRUE(is_valid_sectorsize(4096));
  EXPECT_TRUE(is_valid_sectorsize(65536));
  EXPECT_FALSE(is_valid_sectorsize(256));
  EXPECT_FALSE(is_valid_sectorsize(1000));
  EXPECT_FALSE(is_valid_sectorsize(131072));
  EXPECT_FALSE(is_valid_sectorsize(0));
}

TEST(LogFormat, FlagNamesMatchUpstream) {
  EXPECT_EQ(flags_to_string(0), "NONE");
  EXPECT_EQ(flags_to_string(kFlagFlush), "FLUSH");
  EXPECT_EQ(flags_to_string(kFlagFua | kFlagMetadata), "FUA|METADATA");
  EXPECT_EQ(flags_to_string(kFlagDiscard | 0x40), "DISCARD|UNKNOWN.0x40");
  EXPECT_EQ(flags_to_string(0x100), "UNKNOWN.0x100");
}

TEST(LogFormat, DiscardsCarryNoData) {
  EXPECT_EQ(logged_data_bytes(EntryHeader{0, 8, kFlagDiscard, 0}, 512), 0U);
  EXPECT_EQ(logged_data_bytes(EntryHeader{0, 8, 0, 0}, 512), 4096U);
}

TEST(LogChecksum, Crc32cKnownAnswer) {
  std::string s = "123456789";
  EXPECT_EQ(crc32c(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size())), 0xe3069283U);
  // Chaining equals one pass.
  auto bytes = std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  EXPECT_EQ(crc32c(bytes.subspan(4), crc32c(bytes.first(4))), 0xe3069283U);
}

}  // namespace
}  // namespace bb::logwrites
