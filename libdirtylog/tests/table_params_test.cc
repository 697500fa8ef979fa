// SPDX-License-Identifier: GPL-2.0-or-later
#include "table_params.h"

#include <gtest/gtest.h>

#include "error.h"
#include "tests/errno_of.h"

namespace bb::dirtylog {
namespace {

using testing::errno_of;

TEST(TableParams, RegionSizeMustBeAPowerOfTwo) {
  EXPECT_EQ(parse_region_size("1024", 1 << 20), 1024U);
  EXPECT_EQ(parse_region_size("2", 100), 2U);
  for (const char* bad : {"3", "1000", "0", "1", "-8", "abc", "", "1024k", "4294967296"}) {
    EXPECT_EQ(errno_of([&] { (void)parse_region_size(bad, 1 << 30); }), EINVAL) << bad;
  }
}

TEST(TableParams, RegionSizeNoLargerThanDevice) {
  EXPECT_EQ(errno_of([] { (void)parse_region_size("2048", 1024); }), EINVAL);
}

TEST(TableParams, SyncFlags) {
  EXPECT_EQ(parse_sync_mode("sync"), SyncMode::kForceSync);
  EXPECT_EQ(parse_sync_mode("nosync"), SyncMode::kNoSync);
  EXPECT_EQ(errno_of([] { (void)parse_sync_mode("block_on_error"); }), EINVAL);
  EXPECT_EQ(errno_of([] { (void)parse_sync_mode("SYNC"); }), EINVAL);
}

TEST(TableParams, RegionCountRoundsUp) {
  EXPECT_EQ(region_count_for(1000, 64), 16U);
  EXPECT_EQ(region_count_for(1024, 64), 16U);
}

}  // namespace
}  // namespace bb::dirtylog
