// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/catalogue.h"

#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace bb::oplog {
namespace {

TEST(Catalogue, EmbeddedPageHasEveryTargetsLines) {
  const auto all = catalogue();
  ASSERT_GT(all.size(), 40U);
  std::set<std::string> targets;
  for (const auto& e : all) targets.insert(e.target);
  EXPECT_EQ(targets, (std::set<std::string>{"all", "bb-log-writes", "bb-mirror", "dirtylogd"}));
  const auto* e = find_entry(210);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->category, "STATE");
  EXPECT_EQ(e->level, "err");
  EXPECT_EQ(e->target, "bb-mirror");
  EXPECT_EQ(find_entry(99999), nullptr);
}

TEST(Catalogue, PatternsReadFieldsAlternativesOptionalPartsAndCauses) {
  const std::regex received(
      "^" + pattern_regex("message received (seq <N>): <word1>[ <word2>][ ...]") + "$");
  EXPECT_TRUE(std::regex_match("message received (seq 3): fail_leg 1", received));
  EXPECT_TRUE(std::regex_match("message received (seq 3): mark", received));
  EXPECT_TRUE(std::regex_match("message received (seq 3): a b ...", received));
  EXPECT_FALSE(std::regex_match("message received (seq 3)", received));

  const std::regex state(
      "^" + pattern_regex("leg<N>( <current|stale> -> failed ) [<cause>] no I/O[; last]") + "$");
  EXPECT_TRUE(std::regex_match("leg1( current -> failed ) [message fail_leg] no I/O", state));
  EXPECT_TRUE(std::regex_match("leg1( stale -> failed ) [write error] no I/O; last", state));
  EXPECT_FALSE(std::regex_match("leg1( failed -> failed ) [x] no I/O", state));
  EXPECT_FALSE(std::regex_match("leg1( current -> failed ) message fail_leg no I/O", state));

  const std::regex literal_cause(
      "^" + pattern_regex("leg<N>( failed -> stale ) [message readd_leg] it") + "$");
  EXPECT_TRUE(std::regex_match("leg0( failed -> stale ) [message readd_leg] it", literal_cause));
  EXPECT_FALSE(std::regex_match("leg0( failed -> stale ) it", literal_cause));
}

TEST(Catalogue, BrokenPagesAreRefusedNamingTheRow) {
  EXPECT_THROW((void)parse_catalogue("# no catalogue\n"), std::runtime_error);
  const std::string head =
      "x\n## Catalogue\n\n| id | category | level | target | text | meaning "
      "|\n|---|---|---|---|---|---|\n";
  EXPECT_THROW((void)parse_catalogue(head + "| x1 | CMD | info | both | `t` | m |\n"),
               std::runtime_error);
  EXPECT_THROW((void)parse_catalogue(head + "| 1 | CMD | info | both | t | m |\n"),
               std::runtime_error);
  EXPECT_THROW(
      (void)parse_catalogue(
          head + "| 1 | CMD | info | both | `a` | m |\n| 1 | CMD | info | both | `b` | m |\n"),
      std::runtime_error);
  EXPECT_THROW((void)parse_catalogue(head + "| 1 | CMD | info | both | `a [b` | m |\n"),
               std::runtime_error);
  const auto ok =
      parse_catalogue(head + "| 7 | RATE | warn | both | `a \\| b` | m |\n\n## Next\n| 8 |\n");
  ASSERT_EQ(ok.size(), 1U);
  EXPECT_EQ(ok[0].text, "a | b");
}

}  // namespace
}  // namespace bb::oplog
