// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/event_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace bb::healthd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(EventLine, FormatAndParseBack) {
  const Event e{
      "policy", "FAIL", "PROBE_TIMEOUT",
      "m0",     1,      {{"Timeout", "5000ms"}, {"Why", "a \"quoted\" word\\"}, {"Empty", ""}}};
  const auto t = std::chrono::system_clock::now();
  const std::string line = format_event(e, t);
  EXPECT_EQ(line.substr(0, 20), log_time(t) + " ");
  EXPECT_EQ(line.substr(20),
            "policy: OpMsg=FAIL Type=PROBE_TIMEOUT Device=m0 Leg=1 Timeout=5000ms "
            "Why=\"a \\\"quoted\\\" word\\\\\" Empty=\"\"");
  const auto back = parse_event(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->component, "policy");
  EXPECT_EQ(back->op, "FAIL");
  EXPECT_EQ(back->type, "PROBE_TIMEOUT");
  EXPECT_EQ(back->device, "m0");
  EXPECT_EQ(back->leg, 1);
  EXPECT_EQ(back->fields, e.fields);
  EXPECT_FALSE(parse_event(format_text("controller", "probe_interval = 5s", t)));
  EXPECT_FALSE(parse_event("2026/11/30 23:40:01 x: OpMsg=A Why=\"unterminated"));
  EXPECT_FALSE(parse_event("garbage"));
}

TEST(EventLine, TimeShape) {
  const std::string t = log_time(std::chrono::system_clock::now());
  ASSERT_EQ(t.size(), 19U);
  EXPECT_EQ(t[4], '/');
  EXPECT_EQ(t[10], ' ');
  EXPECT_EQ(t[16], ':');
  const std::string name = run_file_name(std::chrono::system_clock::now());
  EXPECT_TRUE(name.starts_with("bb-healthd-"));
  EXPECT_TRUE(name.ends_with(".out"));
  EXPECT_EQ(name.size(), std::string("bb-healthd-YYYYMMDDHHmm.out").size());
}

class LogDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "healthd-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text, std::chrono::hours age) {
    std::ofstream(dir_ / name) << text;
    fs::last_write_time(dir_ / name, fs::file_time_type::clock::now() - age);
  }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
};

TEST_F(LogDir, RenamesRetainsAndFindsCrashes) {
  const std::string ended = "2026/11/01 10:00:00 controller: OpMsg=END Type=HEALTHD\n";
  const std::string crashed = "2026/11/02 10:00:00 probe: OpMsg=PROBE Type=SUCCESS Device=m\n";
  write("bb-healthd-202611011000.log", ended, std::chrono::hours(24 * 20));    // old: deleted
  write("bb-healthd-202611151000.log", ended, std::chrono::hours(24 * 10));    // kept
  write("bb-healthd-202611291000.out", crashed, std::chrono::hours(24 * 30));  // renamed, crash
  write("unrelated.log", "x", std::chrono::hours(24 * 30));                    // never touched
  std::vector<std::string> mirrored;
  EventLog log(dir_, std::chrono::hours(24 * 14), std::chrono::system_clock::now(),
               [&](std::string_view l) { mirrored.emplace_back(l); });
  const StartReport& r = log.start_report();
  EXPECT_FALSE(fs::exists(dir_ / "bb-healthd-202611011000.log"));
  EXPECT_TRUE(fs::exists(dir_ / "bb-healthd-202611151000.log"));
  EXPECT_TRUE(fs::exists(dir_ / "bb-healthd-202611291000.log"));
  EXPECT_FALSE(fs::exists(dir_ / "bb-healthd-202611291000.out"));
  EXPECT_TRUE(fs::exists(dir_ / "unrelated.log"));
  ASSERT_EQ(r.deleted.size(), 1U);
  ASSERT_EQ(r.crashed.size(), 1U);
  EXPECT_EQ(r.crashed[0].filename(), "bb-healthd-202611291000.log");
  EXPECT_EQ(r.file.parent_path(), dir_);
  log.event({"controller", "START", "HEALTHD", "", -1, {}});
  log.event({"controller", "END", "HEALTHD", "", -1, {}});
  ASSERT_EQ(mirrored.size(), 2U);
  EXPECT_EQ(read(r.file), mirrored[0] + "\n" + mirrored[1] + "\n");
}

TEST_F(LogDir, CleanEndIsNoCrashAndSameMinuteGetsASuffix) {
  const auto now = std::chrono::system_clock::now();
  const std::string name = run_file_name(now);
  write(name, "2026/11/01 10:00:00 controller: OpMsg=END Type=HEALTHD\n", std::chrono::hours(0));
  // A .log of the same minute already exists too: the rename must not overwrite it.
  const std::string log_name = name.substr(0, name.size() - 4) + ".log";
  write(log_name, "older\n", std::chrono::hours(0));
  EventLog log(dir_, std::chrono::hours(24), now, nullptr);
  EXPECT_TRUE(log.start_report().crashed.empty());
  EXPECT_EQ(read(dir_ / log_name), "older\n");
  ASSERT_EQ(log.start_report().renamed.size(), 1U);
  EXPECT_EQ(log.start_report().renamed[0].filename(), name.substr(0, name.size() - 4) + "-2.log");
  // This run's name is taken by neither a .out nor a .log.
  EXPECT_EQ(log.start_report().file.filename(), name.substr(0, name.size() - 4) + "-3.out");
}

}  // namespace
}  // namespace bb::healthd
