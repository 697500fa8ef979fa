// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/target_status.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace bb::devmapper {
namespace {

TEST(MirrorStatus, ParsesTheDocumentedExample) {
  // docs/bb-mirror.md, "Status".
  const auto s = parse_mirror_status(
      "m", "2 254:16 254:32 900/1024 1 AA 3 disk 254:48 A 9 running 20 124 51200 2 AS 0 0 4");
  ASSERT_EQ(s.legs.size(), 2U);
  EXPECT_EQ(s.legs[1].dev, "254:32");
  EXPECT_EQ(s.legs[1].health, 'A');
  EXPECT_EQ(s.legs[1].state, 'S');
  EXPECT_EQ(s.in_sync, 900U);
  EXPECT_EQ(s.total, 1024U);
  EXPECT_EQ(s.log_type, "disk");
  EXPECT_EQ(s.resync, "running");
  EXPECT_EQ(s.copied, 20U);
  EXPECT_EQ(s.remaining, 124U);
  EXPECT_EQ(s.rate, 51200U);
  EXPECT_EQ(s.eta, 2U);
  EXPECT_EQ(s.source_leg, 0);
}

TEST(MirrorStatus, NoSourceLeg) {
  const auto s = parse_mirror_status("m", "2 8:1 8:2 0/8 1 DD 1 core 9 idle 0 8 0 0 FF -1 0 1");
  EXPECT_EQ(s.source_leg, -1);
  EXPECT_EQ(s.legs[0].state, 'F');
}

TEST(MirrorStatus, NamesWhatIsWrong) {
  try {
    (void)parse_mirror_status("m0", "2 8:1 8:2 9/8");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "m0: status ends before health count");
  }
  EXPECT_THROW((void)parse_mirror_status("m", "2 8:1 8:2 0/8 1 AAA 1 core 9 idle 0 8 0 0 AA 0 0 1"),
               std::invalid_argument);
  EXPECT_THROW((void)parse_mirror_status("m", "0"), std::invalid_argument);
}

TEST(MirrorTable, LegsAndOffsets) {
  const auto legs =
      parse_mirror_legs("m", "disk 2 254:48 2048 3 254:16 0 254:32 128 254:64 0 1 handle_errors");
  ASSERT_EQ(legs.size(), 3U);
  EXPECT_EQ(legs[1].dev, "254:32");
  EXPECT_EQ(legs[1].offset, 128U);
  EXPECT_THROW((void)parse_mirror_legs("m", "core 1 1024 2 8:1 0 8:2"), std::invalid_argument);
}

TEST(LogWritesStatus, Parses) {
  const auto s = parse_log_writes_status("r", "43 4831 full 2473984 0 log_full 44");
  EXPECT_EQ(s.entries, 43U);
  EXPECT_EQ(s.state, "full");
  EXPECT_EQ(s.stop, "log_full");
  EXPECT_EQ(s.stop_entry, "44");
  EXPECT_THROW((void)parse_log_writes_status("r", "43 x"), std::invalid_argument);
}

}  // namespace
}  // namespace bb::devmapper
