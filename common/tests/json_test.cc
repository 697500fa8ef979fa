// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/json.h"

#include <gtest/gtest.h>

#include <string>

namespace bb::common {
namespace {

using namespace std::string_literals;

TEST(JsonString, QuotesAndEscapesText) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string(""), "\"\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("l1\nl2\tx\r"), "\"l1\\nl2\\tx\\r\"");
  EXPECT_EQ(json_string("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(json_string("nul\0end"s), "\"nul\\u0000end\"");
  // UTF-8 passes through as text.
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

TEST(JsonString, AsciiModeEscapesEveryNonPrintableByte) {
  EXPECT_EQ(json_string("mark-1", JsonBytes::kAscii), "\"mark-1\"");
  EXPECT_EQ(json_string("\n\xff\x80", JsonBytes::kAscii), "\"\\u000a\\u00ff\\u0080\"");
  EXPECT_EQ(json_string("q\"\\", JsonBytes::kAscii), "\"q\\\"\\\\\"");
}

}  // namespace
}  // namespace bb::common
