// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/config.h"

#include <gtest/gtest.h>

namespace bb::healthd {
namespace {

using namespace std::chrono_literals;

TEST(Duration, UnitsAndErrors) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("5s"), 5000ms);
  EXPECT_EQ(parse_duration("30min"), 30min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("14d"), std::chrono::hours(24 * 14));
  EXPECT_THROW((void)parse_duration("5"), std::invalid_argument);
  EXPECT_THROW((void)parse_duration("5 s"), std::invalid_argument);
  EXPECT_THROW((void)parse_duration("s"), std::invalid_argument);
  EXPECT_THROW((void)parse_duration("5m"), std::invalid_argument);
  EXPECT_THROW((void)parse_duration("-5s"), std::invalid_argument);
  EXPECT_EQ(format_duration(5000ms), "5s");
  EXPECT_EQ(format_duration(1800s), "30min");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
}

TEST(Config, DefaultsAreTheDocumentedOnes) {
  const Config c = parse_config("", "x");
  EXPECT_EQ(c.action_limit_max, 3U);
  EXPECT_EQ(c.action_limit_period, 30min);
  EXPECT_EQ(c.retention, std::chrono::hours(24 * 14));
  EXPECT_FALSE(c.observe_only);
  EXPECT_EQ(c.readd, ReaddPolicy::kAuto);
}

TEST(Config, ReadsEveryKey) {
  const Config c = parse_config(
      "# a comment\n"
      "probe_interval = 2s\n"
      "probe_timeout=800ms   # trailing comment\n"
      "readd = manual\n"
      "readd_after_good_probes = 5\n"
      "resync_stall_timeout = 1min\n"
      "resync_stall_action = fail_leg\n"
      "action_limit_max = 2\n"
      "action_limit_period = 1h\n"
      "observe_only = yes\n"
      "log_dir = /tmp/hd\n"
      "retention_days = 7\n"
      "program = /usr/local/bin/page-me\n"
      "program_timeout = 3s\n",
      "f");
  EXPECT_EQ(c.probe_interval, 2s);
  EXPECT_EQ(c.probe_timeout, 800ms);
  EXPECT_EQ(c.readd, ReaddPolicy::kManual);
  EXPECT_EQ(c.readd_after_good_probes, 5U);
  EXPECT_EQ(c.resync_stall_timeout, 1min);
  EXPECT_EQ(c.resync_stall_action, StallAction::kFailLeg);
  EXPECT_EQ(c.action_limit_max, 2U);
  EXPECT_EQ(c.action_limit_period, 1h);
  EXPECT_TRUE(c.observe_only);
  EXPECT_EQ(c.log_dir, "/tmp/hd");
  EXPECT_EQ(c.retention, std::chrono::hours(24 * 7));
  EXPECT_EQ(c.program, "/usr/local/bin/page-me");
  EXPECT_EQ(c.program_timeout, 3s);
  const auto lines = describe(c);
  EXPECT_EQ(lines.front(), "probe_interval = 2s");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "retention_days = 7"), lines.end());
  // What describe() prints reads back to the same configuration.
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  EXPECT_EQ(describe(parse_config(text, "again")), lines);
}

void expect_error(const std::string& text, const std::string& key, unsigned line,
                  const std::string& what) {
  try {
    (void)parse_config(text, "healthd.conf");
    ADD_FAILURE() << "accepted: " << text;
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), key);
    EXPECT_EQ(e.line(), line);
    EXPECT_EQ(std::string(e.what()), what);
  }
}

TEST(Config, ErrorsNameKeyLineAndWhy) {
  expect_error("probe_interval = 5s\nprobe_timeout = 5\n", "probe_timeout", 2,
               "healthd.conf:2: probe_timeout: \"5\" has no unit (write e.g. 5s or 5ms)");
  expect_error("\nprobe_intervall = 5s\n", "probe_intervall", 2,
               "healthd.conf:2: probe_intervall: unknown key");
  expect_error("readd = sometimes\n", "readd", 1,
               "healthd.conf:1: readd: \"sometimes\" is not auto or manual");
  expect_error("observe_only = true\n", "observe_only", 1,
               "healthd.conf:1: observe_only: \"true\" is not yes or no");
  expect_error("probe_interval = 0s\n", "probe_interval", 1,
               "healthd.conf:1: probe_interval: \"0s\" is not above zero");
  expect_error("log_dir = relative\n", "log_dir", 1,
               "healthd.conf:1: log_dir: \"relative\" is not an absolute path");
  expect_error("a line without equals\n", "a line without equals", 1,
               "healthd.conf:1: a line without equals: not a \"key = value\" line (sections are "
               "not used)");
  expect_error("[section]\n", "[section]", 1,
               "healthd.conf:1: [section]: not a \"key = value\" line (sections are not used)");
  expect_error("readd = auto\n\nreadd = manual\n", "readd", 3,
               "healthd.conf:3: readd: given again (first on line 1)");
  EXPECT_THROW((void)parse_config("action_limit_max = -1\n", "f"), ConfigError);
  EXPECT_THROW((void)load_config("/nonexistent/healthd.conf", false), ConfigError);
  EXPECT_NO_THROW((void)load_config("/nonexistent/healthd.conf", true));
}

}  // namespace
}  // namespace bb::healthd
