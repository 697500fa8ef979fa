// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/line_writer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "oplog/kernel_line.h"

namespace bb::oplog {
namespace {

TEST(LineWriter, LinesInTheKernelsShapeThatTheParserReads) {
  std::vector<std::pair<Level, std::string>> got;
  LineWriter out("dirtylogd", [&](Level l, std::string_view t) { got.emplace_back(l, t); });
  out.line(Level::kInfo, "..test-uuid/7", "CMD", 1, "resume received (seq 2)");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].second, "dirtylogd: ..test-uuid/7 [CMD:1] resume received (seq 2)");
  EXPECT_EQ(got[0].first, Level::kInfo);
  const auto parsed = parse_kernel_line(got[0].second);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->target, "dirtylogd");
  EXPECT_EQ(parsed->device, "..test-uuid/7");
  EXPECT_EQ(parsed->problem, "");

  out.line(Level::kInfo, "..test-uuid/7", "STATE", 315,
           "sync( recovering -> in-sync ) [DM_ULOG_SET_REGION_SYNC] 16/16 regions");
  const auto sync = parse_kernel_line(got.back().second);
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->problem, "");
  const auto& change = std::get<StateChange>(sync->fields);
  EXPECT_EQ(change.object, "sync");
  EXPECT_EQ(change.to, "in-sync");
}

TEST(LineWriter, TheRateLimitIsTheKernelsAndSaysWhatItDropped) {
  std::vector<std::string> got;
  LineWriter out("dirtylogd", [&](Level, std::string_view t) { got.emplace_back(t); });
  RateLimit limit;
  EXPECT_EQ(limit.burst(), 10U);
  EXPECT_EQ(limit.interval(), std::chrono::seconds(5));
  for (int i = 0; i < 25; i++)
    out.limited(Level::kErr, "x", "ULOG", 320, "DM_ULOG_FLUSH failed: e");
  // Another object has a limit of its own.
  out.limited(Level::kErr, "y", "ULOG", 320, "DM_ULOG_FLUSH failed: e");
  EXPECT_EQ(got.size(), 11U);
  out.flush_dropped("x");
  ASSERT_EQ(got.size(), 12U);
  EXPECT_EQ(got.back(),
            "dirtylogd: x [RATE:9] rate limit: 15 lines dropped (at most 10 every 5 s)");
  const auto parsed = parse_kernel_line(got.back());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->problem, "");
  out.flush_dropped("x");
  EXPECT_EQ(got.size(), 12U);

  const auto t0 = RateLimit::Clock::now();
  for (int i = 0; i < 12; i++) (void)limit.allow("z", t0);
  EXPECT_FALSE(limit.allow("z", t0 + std::chrono::seconds(4)));
  EXPECT_TRUE(limit.allow("z", t0 + std::chrono::seconds(5)));
  EXPECT_EQ(limit.take_dropped("z"), 3U);
}

TEST(LineWriter, AnEmptySinkDropsEverything) {
  LineWriter out("p", {});
  out.line(Level::kErr, "-", "MOD", 302, "stopped: x");
}

}  // namespace
}  // namespace bb::oplog
