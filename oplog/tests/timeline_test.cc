// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/timeline.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace bb::oplog {
namespace {

std::vector<Record> records(const std::string& text) {
  std::istringstream in(text);
  return read_records(in);
}

// A fail_leg / readd_leg cycle as bb-mirror prints it, with another
// device's and another subsystem's lines in between.
constexpr const char* kCycle =
    R"([    1.000000] device-mapper: bb-mirror: 253:0 [CMD:1] ctr received (seq 1)
[    1.001000] device-mapper: bb-mirror: 253:0 [CMD:2] ctr done: 0 (seq 1, 1 ms)
[    1.002000] device-mapper: bb-mirror: 253:0 [CMD:1] resume received (seq 2)
[    1.002000] device-mapper: bb-mirror: 253:0 [CMD:2] resume done: 0 (seq 2, 0 ms)
[    2.000000] device-mapper: bb-mirror: 253:0 [CMD:3] message received (seq 3): fail_leg 1
[    2.000100] device-mapper: bb-mirror: 253:0 [STATE:210] leg1( current -> failed ) [message fail_leg] no I/O to it; writes are recorded out of sync
[    2.000200] device-mapper: bb-mirror: 253:0 [CMD:2] message done: 0 (seq 3, 4 ms)
[    2.100000] EXT4-fs (dm-0): mounted filesystem
[    2.200000] device-mapper: bb-log-writes: 253:1 [CMD:1] ctr received (seq 1)
[    2.500000] device-mapper: bb-mirror: 253:0 [CMD:3] message received (seq 4): fail_leg 0
[    2.500000] device-mapper: bb-mirror: 253:0 [CMD:272] fail_leg 0: leg 0 is the last leg in sync
[    2.500000] device-mapper: bb-mirror: 253:0 [CMD:5] message done: -16 (seq 4, 0 ms)
[    3.000000] device-mapper: bb-mirror: 253:0 [CMD:3] message received (seq 5): readd_leg 1
[    3.000000] device-mapper: bb-mirror: 253:0 [STATE:211] leg1( failed -> stale ) [message readd_leg] it takes writes and gets the regions out of sync
[    3.000000] device-mapper: bb-mirror: 253:0 [CMD:2] message done: 0 (seq 5, 0 ms)
[    3.010000] device-mapper: bb-mirror: 253:0 [SYNC:230] resync started (leg 1 re-added): 3 of 128 regions (768 KiB) from leg 0 to 1
[    3.020000] device-mapper: bb-mirror: 253:0 [SYNC:235] resync progress: 30% (1 of 3 regions, 256 KiB; 0 K/sec)
[    3.050000] device-mapper: bb-mirror: 253:0 [SYNC:232] resync skipped in-sync regions 0-1
[    3.050000] device-mapper: bb-mirror: 253:0 [SYNC:231] resync copied regions 2-3
[    3.050000] device-mapper: bb-mirror: 253:0 [SYNC:232] resync skipped in-sync regions 4-49
[    3.050000] device-mapper: bb-mirror: 253:0 [SYNC:231] resync copied regions 50-50
[    3.050000] device-mapper: bb-mirror: 253:0 [SYNC:232] resync skipped in-sync regions 51-127
[    3.050000] device-mapper: bb-mirror: 253:0 [SYNC:236] resync done: 3 regions, 768 KiB (total 0 sec; paused 0 sec; 12288 K/sec)
[    3.050000] device-mapper: bb-mirror: 253:0 [STATE:213] leg1( stale -> current ) [resync done] every region is in sync
[    3.100000] device-mapper: bb-mirror: 253:0 [IO:240] read of sector 8 failed on every usable leg
[    3.200000] device-mapper: bb-mirror: 253:0 [RATE:9] rate limit: 151 lines dropped (at most 10 every 5 s)
[    3.300000] device-mapper: bb-mirror: 253:0 [SYNC:299] resync from the future
)";

TEST(Timeline, CommandsStatesAndResyncsOfEachDevice) {
  const auto t = build_timeline(records(kCycle));
  ASSERT_EQ(t.devices.size(), 2U);
  const auto& m = t.devices[0];
  EXPECT_EQ(m.device, "253:0");
  EXPECT_EQ(m.target, "bb-mirror");
  ASSERT_EQ(m.commands.size(), 5U);
  EXPECT_EQ(m.commands[2].words, "fail_leg 1");
  EXPECT_TRUE(m.commands[2].finished);
  EXPECT_EQ(m.commands[2].ms, 4U);
  EXPECT_EQ(m.commands[2].lines_between, std::vector<int>{210});
  EXPECT_EQ(m.commands[3].result, -16);
  EXPECT_EQ(m.commands[3].reason, "fail_leg 0: leg 0 is the last leg in sync");

  ASSERT_EQ(m.states.size(), 3U);
  EXPECT_EQ(m.states[0].states, (std::map<std::string, std::string>{{"leg1", "failed"}}));
  EXPECT_EQ(m.states[1].change.cause, "message readd_leg");
  EXPECT_EQ(m.states[2].states.at("leg1"), "current");
  EXPECT_EQ(m.states[2].states.at("resync"), "idle");

  ASSERT_EQ(m.resyncs.size(), 1U);
  const auto& r = m.resyncs[0];
  EXPECT_EQ(r.start.why, "leg 1 re-added");
  ASSERT_TRUE(r.end);
  EXPECT_TRUE(r.end->done);
  EXPECT_EQ(r.end->regions, 3U);
  ASSERT_EQ(r.ranges.size(), 5U);
  EXPECT_TRUE(r.ranges[1].copied);
  EXPECT_EQ(r.ranges[3].first, 50U);
  ASSERT_EQ(r.progress.size(), 1U);
  EXPECT_DOUBLE_EQ(*r.started, 3.01);
  EXPECT_DOUBLE_EQ(*r.ended, 3.05);
  EXPECT_EQ(m.lines_dropped, 151U);

  // The other device's ctr was never done (input ends): flagged.
  const auto& w = t.devices[1];
  ASSERT_EQ(w.commands.size(), 1U);
  EXPECT_FALSE(w.commands[0].finished);

  // The line from an unknown id is reported, not dropped.
  ASSERT_EQ(t.unknown.size(), 1U);
  EXPECT_EQ(t.unknown[0].line_no, 27U);

  const auto text = timeline_text(t);
  EXPECT_NE(text.find("message fail_leg 1 (seq 3): 0 in 4 ms"), std::string::npos) << text;
  EXPECT_NE(text.find("leg1: failed -> stale [message readd_leg] => leg1=stale"), std::string::npos)
      << text;
  EXPECT_NE(text.find("copied 2-3,50; skipped 0-1,4-49,51-127"), std::string::npos) << text;
  EXPECT_NE(text.find("ctr (seq 1): received, NEVER DONE"), std::string::npos) << text;
  EXPECT_NE(text.find("[SYNC:299] resync from the future"), std::string::npos) << text;
  EXPECT_NE(text.find("the rate limit dropped 151 lines"), std::string::npos) << text;

  const auto json = timeline_json(t);
  EXPECT_NE(json.find(R"("copied":[[2,3],[50,50]])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("finished":false)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("unknown":[{"line":27)"), std::string::npos) << json;
}

TEST(Timeline, OneDeviceOnly) {
  const auto t = build_timeline(records(kCycle), "253:1");
  ASSERT_EQ(t.devices.size(), 1U);
  EXPECT_EQ(t.devices[0].device, "253:1");
  EXPECT_TRUE(t.unknown.empty());
}

TEST(Timeline, AStoppedResyncAndOneStillRunning) {
  const auto t = build_timeline(
      records("device-mapper: bb-mirror: 253:2 [SYNC:230] resync started (leg 1 re-added): 2 of 8 "
              "regions (8 KiB) from leg 0 to 1\n"
              "device-mapper: bb-mirror: 253:2 [SYNC:237] resync stopped (suspended): 1 regions, 4 "
              "KiB (total 1 sec; paused 0 sec; 4 K/sec)\n"
              "device-mapper: bb-mirror: 253:2 [SYNC:230] resync started (regions out of sync in "
              "the dirty log): 1 of 8 regions (4 KiB) from leg 0 to 1\n"));
  ASSERT_EQ(t.devices.size(), 1U);
  const auto& d = t.devices[0];
  ASSERT_EQ(d.resyncs.size(), 2U);
  ASSERT_TRUE(d.resyncs[0].end);
  EXPECT_EQ(d.resyncs[0].end->why, "suspended");
  EXPECT_FALSE(d.resyncs[1].end);
  EXPECT_EQ(d.current.at("resync"), "running");
  EXPECT_NE(timeline_text(t).find("still running"), std::string::npos);
}

}  // namespace
}  // namespace bb::oplog

namespace bb::oplog {
namespace {

// A kernel log the targets really printed (tests/vectors/oplog/): the C
// side's lines as the C++ side reads them.
TEST(Timeline, RealKernelLog) {
  std::ifstream in(BB_VECTORS_DIR "/oplog/oplog-timeline-6.12.dmesg");
  ASSERT_TRUE(in);
  const auto t = build_timeline(read_records(in));
  EXPECT_TRUE(t.unknown.empty()) << timeline_text(t);
  EXPECT_GT(t.our_lines, 90U);
  const DeviceTimeline* m = nullptr;
  const DeviceTimeline* r = nullptr;
  for (const auto& d : t.devices) {
    if (d.device == "253:3" && d.target == "bb-mirror") m = &d;
    if (d.device == "253:4" && d.target == "bb-log-writes") r = &d;
    for (const auto& c : d.commands) EXPECT_TRUE(c.finished) << d.device << " " << c.command;
  }
  ASSERT_NE(m, nullptr);
  ASSERT_NE(r, nullptr);
  std::vector<std::string> states;
  for (const auto& s : m->states)
    states.push_back(s.change.object + ":" + s.change.from + ">" + s.change.to);
  EXPECT_EQ(states, (std::vector<std::string>{"leg1:current>failed", "resync:idle>paused",
                                              "leg1:failed>stale", "resync:paused>running",
                                              "leg1:stale>current"}));
  ASSERT_EQ(m->resyncs.size(), 1U);
  std::vector<std::pair<uint64_t, uint64_t>> copied;
  for (const auto& range : m->resyncs[0].ranges)
    if (range.copied) copied.emplace_back(range.first, range.last);
  EXPECT_EQ(copied, (std::vector<std::pair<uint64_t, uint64_t>>{{128, 159}, {256, 287}}));
  ASSERT_TRUE(m->resyncs[0].end);
  EXPECT_EQ(m->resyncs[0].end->kib, 2048U);
  EXPECT_EQ(r->current.at("log"), "full");
}

}  // namespace
}  // namespace bb::oplog
