// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/log_source.h"

#include <sstream>

#include <gtest/gtest.h>

namespace bb::oplog {
namespace {

constexpr const char* kLine = "device-mapper: bb-mirror: 253:0 [CMD:1] resume received (seq 2)";

TEST(LogSource, DmesgTextInEveryCommonShape) {
  auto r = parse_input_line(std::string("[   12.500000] ") + kLine);
  EXPECT_EQ(r.message, kLine);
  ASSERT_TRUE(r.time);
  EXPECT_DOUBLE_EQ(*r.time, 12.5);
  r = parse_input_line(std::string("kern  :info  : [    3.000250] ") + kLine + "\n");
  EXPECT_EQ(r.message, kLine);
  EXPECT_DOUBLE_EQ(*r.time, 3.00025);
  r = parse_input_line(std::string("Nov 30 18:00:01 host kernel: ") + kLine);
  EXPECT_EQ(r.message, kLine);
  EXPECT_FALSE(r.time);
  r = parse_input_line(std::string("[Mon Nov 30 18:00:01 2026] ") + kLine);
  EXPECT_EQ(r.message, kLine);
  EXPECT_FALSE(r.time);
  r = parse_input_line("EXT4-fs (vdb): mounted");
  EXPECT_EQ(r.message, "EXT4-fs (vdb): mounted");
}

TEST(LogSource, JournalJson) {
  auto r = parse_input_line(
      std::string(R"({"__MONOTONIC_TIMESTAMP":"9000000","MESSAGE":")") + kLine +
      R"(","_SOURCE_MONOTONIC_TIMESTAMP":"1500000","_BOOT_ID":"x","A":[1,{"b":2}],"N":null})");
  EXPECT_EQ(r.message, kLine);
  ASSERT_TRUE(r.time);
  EXPECT_DOUBLE_EQ(*r.time, 1.5);
  // A MESSAGE journald stored as bytes, and escapes.
  r = parse_input_line(R"({"MESSAGE":[97,98,10],"__MONOTONIC_TIMESTAMP":"2000000"})");
  EXPECT_EQ(r.message, "ab\n");
  EXPECT_DOUBLE_EQ(*r.time, 2.0);
  r = parse_input_line(R"({"MESSAGE":"a\"\\\u00e9\n"})");
  EXPECT_EQ(r.message, "a\"\\\xc3\xa9\n");
  EXPECT_FALSE(r.time);
}

TEST(LogSource, MalformedJsonIsRefusedWithTheLineNumber) {
  EXPECT_THROW((void)parse_input_line(R"({"MESSAGE":"x")"), std::runtime_error);
  EXPECT_THROW((void)parse_input_line(R"({"OTHER":"x"})"), std::runtime_error);
  EXPECT_THROW((void)parse_input_line(R"({"MESSAGE":"\q"})"), std::runtime_error);
  EXPECT_THROW((void)parse_input_line(R"({"MESSAGE":"x"} tail)"), std::runtime_error);
  std::istringstream in(std::string(kLine) + "\n{\"MESSAGE\":\n");
  try {
    (void)read_records(in);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

TEST(LogSource, KmsgRecords) {
  auto r = parse_kmsg_record(std::string("6,812,12345678,-;") + kLine + "\n SUBSYSTEM=block\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message, kLine);
  EXPECT_EQ(r->line_no, 812U);
  EXPECT_DOUBLE_EQ(*r->time, 12.345678);
  EXPECT_FALSE(parse_kmsg_record("no semicolon"));
  EXPECT_FALSE(parse_kmsg_record("6,x,1,-;m"));
  EXPECT_FALSE(parse_kmsg_record("6,1;m"));
}

TEST(LogSource, KmsgThatCannotBeOpenedIsAnError) {
  EXPECT_THROW((void)read_kmsg("/nonexistent/kmsg"), std::system_error);
}

}  // namespace
}  // namespace bb::oplog
