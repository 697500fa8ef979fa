// SPDX-License-Identifier: GPL-2.0-or-later
// The checker end to end on small synthetic logs, with user commands as
// checks (no root needed): point-in-time views, log-order results while
// checks finish out of order, stopping at the first failure, kept images.
#include "crashcheck/checker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "crashcheck/report.h"
#include "format/log_format.h"
#include "format/log_writer.h"
#include "test_log.h"

namespace bb::crashcheck {
namespace {
namespace lw = bb::logwrites;
using testing::block;

// mark mkfs, then 40 x (a plain write to block 1+i, a FUA write of
// block 0 holding the FUA's entry number mod 256).
std::string make_log(const std::string& dir) {
  std::string path = dir + "/log.img";
  lw::FileLogSink sink(path);
  lw::LogWriter w(sink, lw::WriterOptions{});
  w.write(0, block(0));
  w.flush();
  w.mark("mkfs");
  for (uint64_t i = 0; i < 40; ++i) {
    w.write(8 * (1 + i), block(static_cast<uint8_t>(i)));
    uint64_t next = w.entries();
    w.write(0, block(static_cast<uint8_t>(next % 256)), lw::kFlagFua);
  }
  w.finish();
  return path;
}

class Checker : public ::testing::Test {
 protected:
  void SetUp() override {
    log = make_log(dir.path());
    o.log = log;
    o.points = PointSelection::parse("fua");
    o.view = ViewKind::kCopy;
    o.workdir = dir.path();
    o.jobs = 4;
    o.keep_dir = dir.path() + "/keep";
  }
  RunResult run(const std::string& cmd) {
    check = make_command_check(cmd, std::chrono::seconds(30));
    o.check = check.get();
    return run_checks(o);
  }
  testing::TempDir dir;
  std::string log;
  CheckerOptions o;
  std::unique_ptr<Check> check;
};

// The first byte of the view is the number of the last FUA replayed: the
// view holds exactly the point's state. Sleeps vary so checks finish out of
// order.
constexpr const char* kPointInTime =
    "sleep 0.0$(({entry} % 7)); [ \"$(od -An -tu1 -N1 {image} | tr -d ' ')\" = $(({entry} % 256)) "
    "]";

TEST_F(Checker, EveryViewHoldsItsPointsStateAndResultsComeInLogOrder) {
  std::vector<uint64_t> streamed;
  o.on_result = [&](const StateResult& r) { streamed.push_back(r.point.entry); };
  RunResult r = run(kPointInTime);
  ASSERT_EQ(r.results.size(), 40u);
  EXPECT_EQ(r.summary.passed, 40u) << format_summary(r) << r.results[0].output;
  for (size_t i = 0; i < r.results.size(); ++i) {
    EXPECT_EQ(r.results[i].point.entry, 4 + 2 * i);
    EXPECT_EQ(r.results[i].seq, i);
    EXPECT_EQ(streamed.at(i), r.results[i].point.entry);
  }
  EXPECT_FALSE(r.first_failure.has_value());
  EXPECT_EQ(r.summary.start_entry, 2u);
}

TEST_F(Checker, StopsAtTheFirstFailureAndKeepsBothImagesWithTheirDiff) {
  o.stop_at_first_failure = true;
  RunResult r = run("sleep 0.0$(({entry} % 5)); [ {entry} -lt 30 ]");
  ASSERT_TRUE(r.first_failure.has_value());
  EXPECT_EQ(r.results.back().point.entry, 30u);
  EXPECT_EQ(r.results.back().verdict, Verdict::kFail);
  EXPECT_EQ(r.summary.failed, 1u);
  EXPECT_EQ(r.summary.passed, 13u);  // 4, 6, ..., 28
  const FirstFailure& f = *r.first_failure;
  EXPECT_EQ(f.good_entry, 28u);
  EXPECT_TRUE(std::filesystem::exists(f.good_image));
  EXPECT_TRUE(std::filesystem::exists(f.fail_image));
  // Entry 29 wrote block 14 (sectors 112..119), entry 30 block 0.
  ASSERT_EQ(f.diff.ranges.size(), 2u);
  EXPECT_EQ(f.diff.ranges[0].sector, 0u);
  EXPECT_EQ(f.diff.ranges[0].writers, (std::vector<uint64_t>{30}));
  EXPECT_EQ(f.diff.ranges[1].sector, 112u);
  EXPECT_EQ(f.diff.ranges[1].writers, (std::vector<uint64_t>{29}));
}

TEST_F(Checker, KeepsGoingByDefault) {
  RunResult r = run("[ {entry} -ne 30 ] && [ {entry} -ne 50 ]");
  EXPECT_EQ(r.results.size(), 40u);
  EXPECT_EQ(r.summary.failed, 2u);
  EXPECT_EQ(r.first_failure->failing.point.entry, 30u);
}

TEST_F(Checker, StartAndEndBoundThePoints) {
  o.start_entry = 10;
  o.end_entry = 20;
  RunResult r = run("true");
  ASSERT_EQ(r.results.size(), 6u);
  EXPECT_EQ(r.results.front().point.entry, 10u);
  EXPECT_EQ(r.results.back().point.entry, 20u);
}

TEST_F(Checker, MissingStartMarkIsAnError) {
  o.start_mark = "nosuchmark";
  EXPECT_ANY_THROW(run("true"));
}

TEST_F(Checker, BeyondPrefixesChecksTornFuaWritesAndSkipsDuplicates) {
  o.beyond.torn = true;
  o.end_entry = 8;  // FUAs 4, 6, 8
  RunResult r = run(kPointInTime);
  // No flush after mkfs: every plain write since entry 1 is unflushed and
  // may tear, and so may the FUA write at the point (after 1..7 of its 8
  // sectors): 2, 3 and 4 writes at the three points. The first byte then
  // already holds the new value, so every check passes.
  EXPECT_EQ(r.summary.states, 3u + (2u + 3u + 4u) * 7u);
  EXPECT_EQ(r.summary.failed, 0u) << format_summary(r);
  ASSERT_GT(r.results.size(), 1u);
  EXPECT_TRUE(r.results[0].variant.is_prefix());
  EXPECT_EQ(r.results[1].variant.torn, (TornWrite{3, 1}));
}

TEST_F(Checker, DroppedWritesAreReportedForFailingStates) {
  // At entry 5 (a plain write) the unflushed writes are 3 and 5; the check
  // wants entry 5's byte, so only the state without 5 fails.
  o.points = PointSelection::parse("5");
  o.beyond.drop_up_to = 1;
  RunResult r = run("[ \"$(od -An -tu1 -j 8192 -N1 {image} | tr -d ' ')\" = 1 ]");
  ASSERT_EQ(r.results.size(), 3u);
  EXPECT_EQ(r.results[0].verdict, Verdict::kPass);
  EXPECT_EQ(r.results[1].variant.dropped, (std::vector<uint64_t>{3}));
  EXPECT_EQ(r.results[1].verdict, Verdict::kPass);
  EXPECT_EQ(r.results[2].verdict, Verdict::kFail);
  EXPECT_EQ(r.results[2].variant.dropped, (std::vector<uint64_t>{5}));
  EXPECT_NE(format_json(r).find("\"dropped\":[5]"), std::string::npos);
}

// mark mkfs, then FUA writes of block 0 = 1, 2, 1 (entry 5 leaves the disk
// as entry 3 did) and of block 1 = 3.
std::string make_log_with_a_repeated_state(const std::string& dir) {
  std::string path = dir + "/repeat.img";
  lw::FileLogSink sink(path);
  lw::LogWriter w(sink, lw::WriterOptions{});
  w.write(0, block(0));
  w.flush();
  w.mark("mkfs");
  for (uint8_t value : {1, 2, 1}) w.write(0, block(value), lw::kFlagFua);
  w.write(8, block(3), lw::kFlagFua);
  w.finish();
  return path;
}

TEST_F(Checker, APrefixStateIdenticalToAnEarlierOneTakesItsVerdictUnchecked) {
  o.log = make_log_with_a_repeated_state(dir.path());
  std::string calls = dir.path() + "/calls";
  RunResult r =
      run("echo {entry} >>" + calls + "; [ \"$(od -An -tu1 -N1 {image} | tr -d ' ')\" != 1 ]");
  ASSERT_EQ(r.results.size(), 4u);
  EXPECT_EQ(r.results[0].verdict, Verdict::kFail);  // entry 3
  EXPECT_EQ(r.results[1].verdict, Verdict::kPass);  // entry 4
  EXPECT_EQ(r.results[2].point.entry, 5u);
  EXPECT_EQ(r.results[2].same_as, 3u);
  EXPECT_EQ(r.results[2].verdict, Verdict::kFail);
  EXPECT_FALSE(r.results[3].same_as.has_value());
  EXPECT_EQ(r.summary.states, 3u);
  EXPECT_EQ(r.summary.failed, 2u);
  EXPECT_EQ(r.summary.duplicates_skipped, 1u);
  EXPECT_EQ(r.first_failure->failing.point.entry, 3u);
  std::string out;
  for (const StateResult& res : r.results) out += format_result_line(res, false);
  EXPECT_NE(out.find("same state as entry 3"), std::string::npos) << out;
  EXPECT_NE(format_json(r).find("\"same_as\":3"), std::string::npos);
  // Entry 5 was never checked.
  std::ifstream in(calls);
  std::vector<uint64_t> checked{std::istream_iterator<uint64_t>(in),
                                std::istream_iterator<uint64_t>()};
  std::sort(checked.begin(), checked.end());
  EXPECT_EQ(checked, (std::vector<uint64_t>{3, 4, 6}));
}

TEST_F(Checker, CheckDuplicatesChecksEveryPrefixState) {
  o.log = make_log_with_a_repeated_state(dir.path());
  o.skip_duplicates = false;
  RunResult r = run("[ \"$(od -An -tu1 -N1 {image} | tr -d ' ')\" != 1 ]");
  ASSERT_EQ(r.results.size(), 4u);
  EXPECT_EQ(r.summary.states, 4u);
  EXPECT_EQ(r.summary.duplicates_skipped, 0u);
  EXPECT_FALSE(r.results[2].same_as.has_value());
  EXPECT_EQ(r.results[2].verdict, Verdict::kFail);
}

TEST_F(Checker, DuplicatesOfAStateCancelledByStopAtFirstFailureAreNotReported) {
  o.log = make_log_with_a_repeated_state(dir.path());
  o.stop_at_first_failure = true;
  RunResult r = run("[ {entry} -ne 4 ]");
  ASSERT_EQ(r.results.size(), 2u);  // 3 passes, 4 fails; 5 (same as 3) comes after the failure
  EXPECT_EQ(r.results[1].verdict, Verdict::kFail);
}

}  // namespace
}  // namespace bb::crashcheck
