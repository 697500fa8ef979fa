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

TEST(ParseJson, ReadsEveryKindOfValue) {
  const JsonValue v = parse_json(
      R"( {"n": null, "t": true, "f": false, "u": 18446744073709551615, "d": -1.5e2,
          "s": "a\"b\\c\/\n\u00e9\ud83d\ude00", "a": [1, [], {}], "o": {"x": "y"}} )");
  EXPECT_TRUE(v.at("n").is_null());
  EXPECT_TRUE(v.at("t").as_bool());
  EXPECT_FALSE(v.at("f").as_bool());
  EXPECT_EQ(v.at("u").as_u64(), UINT64_MAX);
  EXPECT_DOUBLE_EQ(v.at("d").as_double(), -150.0);
  EXPECT_EQ(v.at("s").as_string(), "a\"b\\c/\n\xc3\xa9\xf0\x9f\x98\x80");
  ASSERT_EQ(v.at("a").as_array().size(), 3U);
  EXPECT_EQ(v.at("a").as_array()[0].as_u64(), 1U);
  EXPECT_EQ(v.at("o").at("x").as_string(), "y");
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v.as_object().front().first, "n");  // document order
}

TEST(ParseJson, ReadsBackWhatJsonStringWrites) {
  const std::string text = "tab\tnl\ncr\rq\"bs\\\x01\x7f caf\xc3\xa9 \xff raw"s;
  EXPECT_EQ(parse_json(json_string(text)).as_string(), text);
}

TEST(ParseJson, RefusesMalformedTextNamingTheByte) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", "-",
                          "1e", "tru", "\"open", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
                          "\"\\udc00\"", "\"a\nb\"", "[1] 2", "{\"a\":1,\"a\":2}"}) {
    EXPECT_THROW((void)parse_json(bad), JsonError) << bad;
  }
  try {
    (void)parse_json("[1, x]");
    FAIL();
  } catch (const JsonError& e) {
    EXPECT_STREQ(e.what(), "bad JSON at byte 4: a value expected");
  }
  EXPECT_THROW((void)parse_json(std::string(65, '[') + std::string(65, ']')), JsonError);
  EXPECT_NO_THROW((void)parse_json(std::string(64, '[') + std::string(64, ']')));
}

TEST(ParseJson, TypedReadsRefuseOtherTypes) {
  const JsonValue v = parse_json(R"({"s": "x", "n": -1, "f": 1.5, "big": 18446744073709551616})");
  EXPECT_THROW((void)v.at("s").as_u64(), JsonError);
  EXPECT_THROW((void)v.at("n").as_u64(), JsonError);
  EXPECT_THROW((void)v.at("f").as_u64(), JsonError);
  EXPECT_THROW((void)v.at("big").as_u64(), JsonError);
  EXPECT_THROW((void)v.at("n").as_string(), JsonError);
  EXPECT_THROW((void)v.at("s").as_array(), JsonError);
  EXPECT_THROW((void)v.at("s").at("x"), JsonError);
  EXPECT_THROW((void)v.at("missing"), JsonError);
  EXPECT_THROW((void)v.at("s").as_bool(), JsonError);
}

}  // namespace
}  // namespace bb::common
