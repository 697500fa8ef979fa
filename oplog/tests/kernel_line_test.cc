// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/kernel_line.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace bb::oplog {
namespace {

TEST(KernelLine, OtherSubsystemsLinesAreNotOurs) {
  EXPECT_FALSE(parse_kernel_line("EXT4-fs (vdb): mounted filesystem"));
  EXPECT_FALSE(parse_kernel_line("device-mapper: table: 253:3: bb-mirror: bad (-EINVAL)"));
  EXPECT_FALSE(parse_kernel_line("device-mapper: log-writes: 253:0 [CMD:1] ctr received (seq 1)"));
}

TEST(KernelLine, CommandsAreDecoded) {
  auto l = parse_kernel_line(
      "device-mapper: bb-mirror: 253:0 [CMD:3] message received (seq 3): fail_leg 1");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->problem, "");
  EXPECT_EQ(l->device, "253:0");
  const auto& r = std::get<CommandReceived>(l->fields);
  EXPECT_EQ(r.command, "message");
  EXPECT_EQ(r.seq, 3U);
  EXPECT_EQ(r.words, "fail_leg 1");

  l = parse_kernel_line(
      "device-mapper: bb-mirror: 253:4 [CMD:4] ctr done: -22 (seq 1, 0 ms): Invalid number of "
      "legs: expected 2 to 9");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->problem, "");
  const auto& d = std::get<CommandDone>(l->fields);
  EXPECT_EQ(d.command, "ctr");
  EXPECT_EQ(d.result, -22);
  EXPECT_EQ(d.reason, "Invalid number of legs: expected 2 to 9");
}

TEST(KernelLine, StatesAndResyncsAreDecoded) {
  auto l = parse_kernel_line(
      "device-mapper: bb-log-writes: 253:1 [STATE:110] log( logging -> full ) [map] log device "
      "full at entry 7: "
      "it and later writes are not logged");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->problem, "");
  const auto& s = std::get<StateChange>(l->fields);
  EXPECT_EQ(s.object, "log");
  EXPECT_EQ(s.from, "logging");
  EXPECT_EQ(s.to, "full");
  EXPECT_EQ(s.cause, "map");

  l = parse_kernel_line(
      "device-mapper: bb-mirror: 253:0 [SYNC:230] resync started (leg 1 re-added): 3 of 128 "
      "regions (768 KiB) from "
      "leg 0 to 1,2 (paused)");
  ASSERT_TRUE(l);
  const auto& st = std::get<ResyncStarted>(l->fields);
  EXPECT_EQ(st.why, "leg 1 re-added");
  EXPECT_EQ(st.regions, 3U);
  EXPECT_EQ(st.total, 128U);
  EXPECT_EQ(st.targets, "1,2");
  EXPECT_TRUE(st.paused);

  l = parse_kernel_line(
      "device-mapper: bb-mirror: 253:0 [SYNC:237] resync stopped (a leg failed): 5 regions, 1280 "
      "KiB (total 3 sec; "
      "paused 1 sec; 640 K/sec)");
  ASSERT_TRUE(l);
  const auto& e = std::get<ResyncEnded>(l->fields);
  EXPECT_FALSE(e.done);
  EXPECT_EQ(e.why, "a leg failed");
  EXPECT_EQ(e.paused_seconds, 1U);
  EXPECT_EQ(e.rate, 640U);
}

TEST(KernelLine, LinesLikeOursThatTheCatalogueLacksSayWhy) {
  auto l = parse_kernel_line("device-mapper: bb-mirror: 253:0 [SYNC:298] resync something new");
  ASSERT_TRUE(l);
  EXPECT_NE(l->problem.find("not in the catalogue"), std::string::npos) << l->problem;
  l = parse_kernel_line(
      "device-mapper: bb-mirror: 253:0 [IO:210] leg1( current -> failed ) [x] no I/O to it; "
      "writes are recorded out of sync");
  ASSERT_TRUE(l);
  EXPECT_NE(l->problem.find("STATE line"), std::string::npos) << l->problem;
  l = parse_kernel_line(
      "device-mapper: bb-log-writes: 253:0 [SYNC:230] resync started (x): 1 of 2 regions (3 KiB) "
      "from leg 0 to 1");
  ASSERT_TRUE(l);
  EXPECT_NE(l->problem.find("line of bb-mirror"), std::string::npos) << l->problem;
  l = parse_kernel_line("device-mapper: bb-mirror: 253:0 [CMD:2] ctr finished");
  ASSERT_TRUE(l);
  EXPECT_NE(l->problem.find("does not fit"), std::string::npos) << l->problem;
  l = parse_kernel_line("device-mapper: bb-mirror: leg 1 failed");
  ASSERT_TRUE(l);
  EXPECT_NE(l->problem.find("shape"), std::string::npos) << l->problem;
}

// Every example line of the guide (docs/operation-log.md, indented lines of
// our targets) is a catalogued line: the guide, the catalogue and the parser
// agree.
TEST(KernelLine, EveryExampleOfTheGuideParses) {
  std::ifstream page(BB_VECTORS_DIR "/../../docs/operation-log.md");
  ASSERT_TRUE(page) << "docs/operation-log.md";
  std::string line;
  int examples = 0;
  while (std::getline(page, line)) {
    auto at = line.find("device-mapper: bb-");
    if (at == std::string::npos) at = line.find("dirtylogd: ");
    if (!line.starts_with("    ") || at == std::string::npos) continue;
    auto parsed = parse_kernel_line(line.substr(at));
    ASSERT_TRUE(parsed) << line;
    EXPECT_EQ(parsed->problem, "") << line;
    examples++;
  }
  EXPECT_GT(examples, 40);
}

}  // namespace
}  // namespace bb::oplog
