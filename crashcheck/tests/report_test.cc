// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/report.h"

#include <gtest/gtest.h>

namespace bb::crashcheck {
namespace {

RunResult sample() {
  RunResult r;
  StateResult pass;
  pass.point = CrashPoint{120, 0x2, ""};
  pass.verdict = Verdict::kPass;
  pass.seconds = 0.041;
  StateResult fail;
  fail.seq = 1;
  fail.point = CrashPoint{130, 0x8, "work"};
  fail.verdict = Verdict::kFail;
  fail.variant.dropped = {125, 127};
  fail.output = "e2fsck: \"bad\" <inode>\n\x01";
  r.results = {pass, fail};
  r.summary.points = 2;
  r.summary.states = 2;
  r.summary.passed = 1;
  r.summary.failed = 1;
  r.summary.check = "ext4";
  r.summary.view = "reflink";
  FirstFailure f;
  f.failing = fail;
  f.good_entry = 120;
  f.good_label = "entry 120 (FUA)";
  f.good_image = "keep/good-120.img";
  f.fail_image = "keep/fail-130.img";
  f.diff.ranges = {DiffRange{2048, 8, {125, 128}}};
  f.diff.differing_sectors = 8;
  r.first_failure = f;
  return r;
}

TEST(Report, LinesShowEntryKindVerdictTimeAndFailingOutput) {
  RunResult r = sample();
  std::string pass = format_result_line(r.results[0], false);
  EXPECT_NE(pass.find("120"), std::string::npos);
  EXPECT_NE(pass.find("FUA"), std::string::npos);
  EXPECT_NE(pass.find("pass"), std::string::npos);
  EXPECT_NE(pass.find("41 ms"), std::string::npos);
  EXPECT_EQ(pass.find('|'), std::string::npos);  // no output for a pass
  std::string fail = format_result_line(r.results[1], false);
  EXPECT_NE(fail.find("mark work"), std::string::npos);
  EXPECT_NE(fail.find("dropped 125, 127"), std::string::npos);
  EXPECT_NE(fail.find("| e2fsck"), std::string::npos);
}

TEST(Report, SummaryNamesTheFirstFailureTheKeptImagesAndTheWriters) {
  std::string s = format_summary(sample());
  EXPECT_NE(s.find("1 passed, 1 failed"), std::string::npos);
  EXPECT_NE(
      s.find("first failure: entry 130 (mark work), dropped 125, 127; last good: entry 120 (FUA)"),
      std::string::npos);
  EXPECT_NE(s.find("keep/fail-130.img"), std::string::npos);
  EXPECT_NE(s.find("sectors 2048..2055 written by entries 125, 128"), std::string::npos);
}

TEST(Report, JsonEscapesOutputAndCarriesTheFirstFailure) {
  std::string j = format_json(sample());
  EXPECT_NE(
      j.find(R"("entry":130,"kind":"mark work","state":"dropped 125, 127","dropped":[125,127])"),
      std::string::npos);
  EXPECT_NE(j.find(R"(e2fsck: \"bad\" <inode>\n\u0001)"), std::string::npos);
  EXPECT_NE(j.find(R"("ranges":[{"sector":2048,"nr_sectors":8,"writers":[125,128]}])"),
            std::string::npos);
  EXPECT_NE(j.find(R"("good_entry":120)"), std::string::npos);
}

TEST(Report, JunitHasOneTestcasePerStateAndEscapesXml) {
  std::string x = format_junit(sample(), "log&.img");
  EXPECT_NE(x.find(R"(<testsuite name="bb-crashcheck log&amp;.img" tests="2" failures="1")"),
            std::string::npos);
  EXPECT_NE(x.find(R"(<testcase classname="ext4" name="entry 120 FUA")"), std::string::npos);
  EXPECT_NE(x.find("&quot;bad&quot; &lt;inode&gt;"), std::string::npos);
  EXPECT_EQ(x.find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace bb::crashcheck
