// SPDX-License-Identifier: GPL-2.0-or-later
#include "region_bitset.h"

#include <gtest/gtest.h>

#include <vector>

#include "error.h"

namespace bb::dirtylog {
namespace {

TEST(RegionBitset, SizedInWholeLongs) {
  EXPECT_EQ(RegionBitset::byte_size_for(1), 8U);
  EXPECT_EQ(RegionBitset::byte_size_for(64), 8U);
  EXPECT_EQ(RegionBitset::byte_size_for(65), 16U);
  EXPECT_EQ(RegionBitset(100).byte_size(), 16U);
}

TEST(RegionBitset, LittleEndianBitOrder) {
  RegionBitset bits(70);
  bits.set(0);
  bits.set(9);
  bits.set(64);
  std::vector<std::byte> out(bits.byte_size());
  bits.store(out);
  EXPECT_EQ(out[0], std::byte{0x01});
  EXPECT_EQ(out[1], std::byte{0x02});
  EXPECT_EQ(out[8], std::byte{0x01});
  RegionBitset back(70);
  back.load(out);
  EXPECT_EQ(back, bits);
}

TEST(RegionBitset, TailBitsNeverCount) {
  RegionBitset bits(10, true);
  EXPECT_EQ(bits.popcount(), 10U);
  std::vector<std::byte> all_ones(8, std::byte{0xFF});
  bits.load(all_ones);
  EXPECT_EQ(bits.popcount(), 10U);
}

TEST(RegionBitset, NextClear) {
  RegionBitset bits(130, true);
  EXPECT_FALSE(bits.next_clear(0));
  bits.reset(3);
  bits.reset(129);
  EXPECT_EQ(bits.next_clear(0), 3U);
  EXPECT_EQ(bits.next_clear(3), 3U);
  EXPECT_EQ(bits.next_clear(4), 129U);
  EXPECT_FALSE(bits.next_clear(130));
}

TEST(RegionBitset, ShortBufferIsAnError) {
  RegionBitset bits(100);
  std::vector<std::byte> small(8);
  EXPECT_THROW(bits.load(small), Error);
  EXPECT_THROW(bits.store(small), Error);
}

}  // namespace
}  // namespace bb::dirtylog
