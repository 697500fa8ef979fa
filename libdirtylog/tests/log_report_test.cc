// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/log_report.h"

#include <gtest/gtest.h>

#include "disk/disk_format.h"
#include "error.h"
#include "tests/temp_file.h"

namespace bb::dirtylog::cli {
namespace {

using testing::TempFile;

std::unique_ptr<disk::LogStore> open_file(const TempFile& file) {
  return disk::open_log_device(file.path());
}

TEST(LogReport, RunsInTheEnbdStyle) {
  RegionBitset clean(6, true);
  clean.reset(1);
  clean.reset(2);
  clean.reset(3);
  EXPECT_EQ(format_runs(region_runs(clean)), "clean regions 0, dirty 1-3, clean 4-5");
  RegionBitset dirty(3, false);
  EXPECT_EQ(format_runs(region_runs(dirty)), "dirty regions 0-2");
}

TEST(LogReport, RegionLists) {
  EXPECT_EQ(parse_region_list("1-3,7"),
            (std::vector<std::pair<uint64_t, uint64_t>>{{1, 3}, {7, 7}}));
  EXPECT_TRUE(parse_region_list("").empty());
  for (const char* bad : {"3-1", "a", "1-", "-2", "1,,2x"})
    EXPECT_THROW(parse_region_list(bad), Error) << bad;
}

TEST(LogReport, CreateThenReport) {
  TempFile file(4096);
  auto store = open_file(file);
  create_log(*store, {100, {{1, 3}, {64, 64}}, false});
  const auto report = read_report(*store, {64, 6400});
  ASSERT_TRUE(report.valid()) << report.problem;
  EXPECT_EQ(report.header.nr_regions, 100U);
  EXPECT_EQ(report.sync_count(), 96U);
  EXPECT_EQ(format_runs(report.runs),
            "clean regions 0, dirty 1-3, clean 4-63, dirty 64, clean 65-99");
  EXPECT_NE(report_text(report).find("sync count:   96/100 regions in sync, 4 dirty"),
            std::string::npos);
  EXPECT_NE(dump_text(report).find("dirty regions 1-3 (sectors 64-255)"), std::string::npos)
      << dump_text(report);
  const auto json = report_json(report);
  EXPECT_NE(json.find(R"("dirty":[[1,3],[64,64]])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("sync_count":96)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("valid":true)"), std::string::npos) << json;
}

TEST(LogReport, CreateRefusesToOverwrite) {
  TempFile file(4096);
  auto store = open_file(file);
  create_log(*store, {10, {}, false});
  EXPECT_THROW(create_log(*store, {10, {}, false}), Error);
  EXPECT_NO_THROW(create_log(*store, {10, {}, true}));
  EXPECT_THROW(create_log(*store, {10, {{10, 10}}, true}), Error);
  EXPECT_THROW(create_log(*store, {100000, {}, true}), Error);
}

TEST(LogReport, ProblemsAreReportedNotThrown) {
  TempFile file(4096);
  auto store = open_file(file);
  EXPECT_NE(read_report(*store, {}).problem.find("all zero"), std::string::npos);

  auto bytes = file.contents();
  disk::encode_header({0x64697274, 2, 10}, bytes);
  file.write(bytes);
  EXPECT_NE(read_report(*store, {}).problem.find("not a disk dirty log"), std::string::npos);

  disk::encode_header({disk::kMagic, 7, 10}, bytes);
  file.write(bytes);
  EXPECT_NE(read_report(*store, {}).problem.find("version 7"), std::string::npos);

  disk::encode_header({disk::kMagic, 2, 1ULL << 60}, bytes);
  file.write(bytes);
  EXPECT_NE(read_report(*store, {}).problem.find("more than"), std::string::npos);

  disk::encode_header({disk::kMagic, 2, 30000}, bytes);
  file.write(bytes);
  EXPECT_NE(read_report(*store, {}).problem.find("too small"), std::string::npos);

  disk::encode_header({disk::kMagic, 2, 10}, bytes);
  file.write(bytes);
  EXPECT_NE(read_report(*store, {64, 64 * 11}).problem.find("has 11"), std::string::npos);
  EXPECT_TRUE(read_report(*store, {64, 64 * 10}).valid());
  const auto json = report_json(read_report(*store, {64, 64 * 11}));
  EXPECT_NE(json.find(R"("valid":false)"), std::string::npos) << json;
}

}  // namespace
}  // namespace bb::dirtylog::cli
