// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/target_line.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace bb::devmapper {
namespace {

// The message of the std::invalid_argument `f` throws ("" if none).
template <typename F>
std::string parse_error(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(TargetLine, ParsesTheFourFields) {
  TargetLine t = parse_target_line("0 2048 linear 8:16 384");
  EXPECT_EQ(t.start, 0U);
  EXPECT_EQ(t.length, 2048U);
  EXPECT_EQ(t.type, "linear");
  EXPECT_EQ(t.params, "8:16 384");
}

TEST(TargetLine, ParamsMayBeEmptyAndKeepInnerSpacing) {
  EXPECT_EQ(parse_target_line("  10 5 zero \r"), (TargetLine{10, 5, "zero", ""}));
  EXPECT_EQ(parse_target_line("0 8\tsnapshot  254:0  7:1 N 8 ").params, "254:0  7:1 N 8");
}

TEST(TargetLine, TakesTheWholeSectorRange) {
  TargetLine t = parse_target_line("18446744073709551615 18446744073709551615 error");
  EXPECT_EQ(t.start, UINT64_MAX);
  EXPECT_EQ(t.length, UINT64_MAX);
}

TEST(TargetLine, NamesTheWrongField) {
  EXPECT_EQ(parse_error([] { (void)parse_target_line("x 8 zero"); }),
            "target line \"x 8 zero\": start \"x\" is not a number of sectors");
  EXPECT_EQ(parse_error([] { (void)parse_target_line("0 -8 zero"); }),
            "target line \"0 -8 zero\": length \"-8\" is not a number of sectors");
  EXPECT_EQ(parse_error([] { (void)parse_target_line("0 8k zero"); }),
            "target line \"0 8k zero\": length \"8k\" is not a number of sectors");
  EXPECT_EQ(parse_error([] { (void)parse_target_line("0 18446744073709551616 zero"); }),
            "target line \"0 18446744073709551616 zero\": length \"18446744073709551616\" does not "
            "fit 64 bits");
  EXPECT_EQ(parse_error([] { (void)parse_target_line("0 8"); }),
            "target line \"0 8\": no target type");
  EXPECT_EQ(parse_error([] { (void)parse_target_line("0"); }), "target line \"0\": no length");
  EXPECT_NE(parse_error([] { (void)parse_target_line(" \t"); }).find("empty target line"),
            std::string::npos);
}

TEST(TargetLine, FormatsAsTheKernelPrints) {
  EXPECT_EQ(format_target_line({0, 2048, "linear", "8:16 0"}), "0 2048 linear 8:16 0");
  EXPECT_EQ(format_target_line({2048, 8, "zero", ""}), "2048 8 zero");
}

TEST(Table, ParsesLinesSkippingBlankOnes) {
  std::vector<TargetLine> t = parse_table("0 8 zero\n\n8 16 error\n  \n24 8 linear 7:0 0\n");
  ASSERT_EQ(t.size(), 3U);
  EXPECT_EQ(t[0], (TargetLine{0, 8, "zero", ""}));
  EXPECT_EQ(t[1], (TargetLine{8, 16, "error", ""}));
  EXPECT_EQ(t[2], (TargetLine{24, 8, "linear", "7:0 0"}));
  EXPECT_TRUE(parse_table("").empty());
}

TEST(Table, RoundTripsThroughText) {
  std::vector<TargetLine> t = {
      {0, 100, "linear", "254:1 0"}, {100, 50, "zero", ""}, {150, 1, "log-writes", "8:1 8:2"}};
  EXPECT_EQ(format_table(t), "0 100 linear 254:1 0\n100 50 zero\n150 1 log-writes 8:1 8:2");
  EXPECT_EQ(parse_table(format_table(t)), t);
}

TEST(Table, SaysWhichLineIsBad) {
  EXPECT_EQ(parse_error([] { (void)parse_table("0 8 zero\n\n8 x zero\n"); }),
            "table line 3: target line \"8 x zero\": length \"x\" is not a number of sectors");
}

}  // namespace
}  // namespace bb::devmapper
