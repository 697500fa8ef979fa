// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/crash_point.h"

#include <gtest/gtest.h>

#include "crashcheck/error.h"
#include "format/log_format.h"
#include "test_log.h"

namespace bb::crashcheck {
namespace {
using testing::block;
using testing::MemoryLog;
namespace lw = bb::logwrites;

std::vector<uint64_t> entries(const std::vector<CrashPoint>& points) {
  std::vector<uint64_t> out;
  out.reserve(points.size());
  for (const CrashPoint& p : points) out.push_back(p.entry);
  return out;
}

TEST(PointSelection, ParsesEveryKindOfItem) {
  PointSelection s = PointSelection::parse("fua,flush,mark,every=10,17,42");
  EXPECT_TRUE(s.fua && s.flush && s.marks);
  EXPECT_EQ(s.every, 10u);
  EXPECT_EQ(s.entries, (std::vector<uint64_t>{17, 42}));
}

TEST(PointSelection, RejectsBadItems) {
  EXPECT_THROW(PointSelection::parse("fua,bogus"), CheckerError);
  EXPECT_THROW(PointSelection::parse("every=0"), CheckerError);
  EXPECT_THROW(PointSelection::parse(""), CheckerError);
  EXPECT_THROW(PointSelection::parse("12x"), CheckerError);
}

class SelectPoints : public ::testing::Test {
 protected:
  void SetUp() override {
    log.writer.write(0, block(1));                                     // 0
    log.writer.flush();                                                // 1
    log.writer.mark("mkfs");                                           // 2
    log.writer.write(8, block(2));                                     // 3
    log.writer.write(16, block(3), lw::kFlagFua);                      // 4
    log.writer.write(24, block(4));                                    // 5
    log.writer.flush();                                                // 6
    log.writer.write(32, block(5), lw::kFlagFua | lw::kFlagMetadata);  // 7
    index = log.index();
  }
  MemoryLog log;
  lw::LogIndex index;
};

TEST_F(SelectPoints, FuaFlushAndMarksInLogOrder) {
  EXPECT_EQ(entries(select_points(index, 2, 7, PointSelection::parse("fua"))),
            (std::vector<uint64_t>{4, 7}));
  EXPECT_EQ(entries(select_points(index, 0, 7, PointSelection::parse("flush,mark"))),
            (std::vector<uint64_t>{1, 2, 6}));
  EXPECT_EQ(entries(select_points(index, 2, 7, PointSelection::parse("fua,flush"))),
            (std::vector<uint64_t>{4, 6, 7}));
}

TEST_F(SelectPoints, EveryNCountsFromTheStartAndEntryListsStayInRange) {
  EXPECT_EQ(entries(select_points(index, 2, 7, PointSelection::parse("every=2"))),
            (std::vector<uint64_t>{3, 5, 7}));
  EXPECT_EQ(entries(select_points(index, 2, 5, PointSelection::parse("1,3,5,7"))),
            (std::vector<uint64_t>{3, 5}));
  EXPECT_EQ(entries(select_points(index, 0, 7, PointSelection::parse("fua,4"))),
            (std::vector<uint64_t>{4, 7}));
}

TEST_F(SelectPoints, KindNamesTheDurabilityFlagsOrTheMark) {
  auto points = select_points(index, 0, 7, PointSelection::parse("fua,flush,mark,3"));
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0].kind(), "FLUSH");
  EXPECT_EQ(points[1].kind(), "mark mkfs");
  EXPECT_EQ(points[2].kind(), "entry");
  EXPECT_EQ(points[3].kind(), "FUA");
  EXPECT_EQ(points[5].kind(), "FUA");  // METADATA is not shown
}

TEST_F(SelectPoints, EmptyRangeGivesNoPoints) {
  EXPECT_TRUE(select_points(index, 5, 4, PointSelection::parse("fua")).empty());
  EXPECT_EQ(entries(select_points(index, 5, 100, PointSelection::parse("fua"))),
            (std::vector<uint64_t>{7}));
}

}  // namespace
}  // namespace bb::crashcheck
