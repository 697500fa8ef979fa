// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/mirror_check.h"

#include <gtest/gtest.h>

#include "cli/log_report.h"
#include "disk/disk_format.h"
#include "error.h"
#include "tests/errno_of.h"
#include "tests/temp_file.h"

namespace bb::dirtylog::cli {
namespace {

using testing::errno_of;
using testing::TempFile;

constexpr uint32_t kRegionSize = 8;  // sectors: 4 KiB regions
constexpr size_t kMirrorRegions = 16;
constexpr size_t kLegBytes = kMirrorRegions * kRegionSize * 512;

// A leg image of kLegBytes, all `fill`.
std::vector<std::byte> leg_bytes(uint8_t fill = 0) {
  return std::vector<std::byte>(kLegBytes, std::byte{fill});
}

void poke(std::vector<std::byte>& leg, uint64_t region, uint8_t value) {
  leg[region * kRegionSize * 512 + 100] = std::byte{value};
}

struct Mirror {
  TempFile log{4096};
  TempFile leg0{0};
  TempFile leg1{0};

  Mirror(const std::vector<std::byte>& a, const std::vector<std::byte>& b,
         std::vector<std::pair<uint64_t, uint64_t>> dirty) {
    leg0.write(a);
    leg1.write(b);
    auto store = disk::open_log_device(log.path());
    create_log(*store, {kMirrorRegions, std::move(dirty), false});
  }

  MirrorCheck check(MirrorCheckOptions options = {kRegionSize, {}, 10}) const {
    auto store = disk::open_log_device(log.path());
    return check_mirror(*store, {leg0.path(), leg1.path()}, options);
  }
};

TEST(MirrorCheck, EqualLegsHoldWhateverTheLogSays) {
  const Mirror mirror(leg_bytes(), leg_bytes(), {{3, 4}});
  const auto check = mirror.check();
  EXPECT_TRUE(check.holds());
  EXPECT_EQ(check.regions, kMirrorRegions);
  EXPECT_EQ(check.out_of_sync, 2U);
  EXPECT_EQ(check.differing, 0U);
  EXPECT_NE(mirror_check_text(check).find("holds: every region whose legs differ"),
            std::string::npos)
      << mirror_check_text(check);
}

TEST(MirrorCheck, LegsDifferingInOutOfSyncRegionsHold) {
  auto b = leg_bytes();
  poke(b, 3, 1);
  poke(b, 7, 1);
  const Mirror mirror(leg_bytes(), b, {{3, 3}, {6, 7}});
  const auto check = mirror.check();
  EXPECT_TRUE(check.holds()) << mirror_check_text(check);
  EXPECT_EQ(check.differing, 2U);
  EXPECT_EQ(check.out_of_sync, 3U);
}

TEST(MirrorCheck, LegsDifferingInACleanRegionBreakIt) {
  auto b = leg_bytes();
  poke(b, 3, 1);   // out of sync: fine
  poke(b, 5, 2);   // clean: broken
  poke(b, 15, 3);  // the last region, clean: broken
  const Mirror mirror(leg_bytes(), b, {{3, 3}});
  const auto check = mirror.check();
  ASSERT_FALSE(check.holds());
  EXPECT_EQ(check.broken_count, 2U);
  ASSERT_EQ(check.broken.size(), 2U);
  EXPECT_EQ(check.broken[0].region, 5U);
  EXPECT_EQ(check.broken[0].first_sector, 40U);
  EXPECT_EQ(check.broken[0].last_sector, 47U);
  EXPECT_EQ(check.broken[0].differing_legs, std::vector<size_t>{1});
  EXPECT_EQ(check.broken[1].region, 15U);
  const auto text = mirror_check_text(check);
  EXPECT_NE(text.find("broken: region 5 (sectors 40-47): leg 1 differs from leg 0, the log has "
                      "it in sync"),
            std::string::npos)
      << text;
  const auto json = mirror_check_json(check);
  EXPECT_NE(json.find(R"("holds":false,"broken_count":2)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"({"region":5,"first_sector":40,"last_sector":47,"differing_legs":[1]})"),
            std::string::npos)
      << json;
}

TEST(MirrorCheck, ListsAtMostMaxListed) {
  auto b = leg_bytes(9);
  const Mirror mirror(leg_bytes(), b, {});
  const auto check = mirror.check({kRegionSize, {}, 3});
  EXPECT_EQ(check.broken_count, kMirrorRegions);
  EXPECT_EQ(check.broken.size(), 3U);
  EXPECT_NE(mirror_check_text(check).find("broken: and 13 more regions"), std::string::npos);
}

TEST(MirrorCheck, AShorterMirrorAndAPartialLastRegion) {
  auto b = leg_bytes();
  poke(b, 15, 1);  // past the mirror: not compared
  const Mirror mirror(leg_bytes(), b, {});
  // 8 regions of 8 sectors and one of 4: the log must have 9 regions.
  auto store = disk::open_log_device(mirror.log.path());
  EXPECT_EQ(
      errno_of([&] {
        (void)check_mirror(*store, {mirror.leg0.path(), mirror.leg1.path()}, {kRegionSize, 68, 10});
      }),
      EINVAL);
  create_log(*store, {9, {}, true});
  const auto check =
      check_mirror(*store, {mirror.leg0.path(), mirror.leg1.path()}, {kRegionSize, 68, 10});
  EXPECT_TRUE(check.holds());
  EXPECT_EQ(check.regions, 9U);
}

TEST(MirrorCheck, ABlankLogHasEveryRegionOutOfSync) {
  auto b = leg_bytes(5);
  Mirror mirror(leg_bytes(), b, {});
  mirror.log.write(std::vector<std::byte>(4096));
  const auto check = mirror.check();
  EXPECT_TRUE(check.blank_log);
  EXPECT_TRUE(check.holds());
  EXPECT_EQ(check.out_of_sync, kMirrorRegions);
}

TEST(MirrorCheck, InputItCannotCheck) {
  Mirror mirror(leg_bytes(), leg_bytes(), {});
  // The region size gives another region count than the log's.
  EXPECT_EQ(errno_of([&] { (void)mirror.check({kRegionSize * 2, {}, 10}); }), EINVAL);
  // Legs of different sizes, unless the mirror's length is given (and fits).
  mirror.leg1.write(std::vector<std::byte>(kLegBytes + 512));
  EXPECT_EQ(errno_of([&] { (void)mirror.check(); }), EINVAL);
  EXPECT_TRUE(mirror.check({kRegionSize, kLegBytes / 512, 10}).holds());
  EXPECT_EQ(errno_of([&] { (void)mirror.check({kRegionSize, kLegBytes / 512 + 2, 10}); }), EINVAL);
  // One leg.
  auto store = disk::open_log_device(mirror.log.path());
  EXPECT_EQ(errno_of([&] {
              (void)check_mirror(*store, {mirror.leg0.path()}, {kRegionSize, {}, 10});
            }),
            EINVAL);
  // A missing leg.
  EXPECT_EQ(
      errno_of([&] {
        (void)check_mirror(*store, {mirror.leg0.path(), "/nonexistent/leg"}, {kRegionSize, {}, 10});
      }),
      ENOENT);
}

TEST(MirrorCheck, NotADiskLog) {
  const Mirror mirror(leg_bytes(), leg_bytes(), {});
  auto bytes = mirror.log.contents();
  bytes[0] = std::byte{'X'};
  mirror.log.write(bytes);
  EXPECT_EQ(errno_of([&] { (void)mirror.check(); }), EINVAL);
}

}  // namespace
}  // namespace bb::dirtylog::cli
