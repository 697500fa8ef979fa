// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/system_error.h"

namespace bb::common {
namespace {

TEST(Process, CapturesStdoutAndStderr) {
  ProcessResult r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.output, "out\nerr\n");
}

TEST(Process, EnvironmentEntriesAddToAndReplaceTheCallers) {
  ASSERT_NE(getenv("PATH"), nullptr);
  ProcessResult r = run_process({"sh", "-c", "echo \"$BB_TEST_ADDED|$HOME|${PATH:+path}\""},
                                std::chrono::seconds(10), ProcessGroup::kShared,
                                {"BB_TEST_ADDED=one=two", "HOME=/nowhere"});
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.output, "one=two|/nowhere|path\n");
  // Without entries the child has the caller's environment.
  ProcessResult plain = run_process({"sh", "-c", "echo \"${BB_TEST_ADDED:-unset}\""});
  EXPECT_EQ(plain.output, "unset\n");
}

TEST(Process, StdinIsDevNull) {
  ProcessResult r = run_process({"sh", "-c", "cat; echo done"});
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.output, "done\n");
}

TEST(Process, ChildGetsOnlyStdinStdoutStderr) {
  // A descriptor without O_CLOEXEC, as a library might leave one.
  const int leaked = open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 3);
  ProcessResult r = run_process({"sh", "-c", "ls /proc/$$/fd"});
  close(leaked);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.output, "0\n1\n2\n");
}

TEST(Process, TimeoutKills) {
  ProcessResult r = run_process({"sleep", "30"}, std::chrono::milliseconds(200));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_status, 128 + SIGKILL);
}

TEST(Process, EndsWhenTheChildExitsThoughItsChildHoldsTheOutput) {
  // The background sleep keeps the pipe open for 30 s; the run ends with
  // the shell, its output and status intact.
  const auto start = std::chrono::steady_clock::now();
  ProcessResult r =
      run_process({"sh", "-c", "sleep 30 & echo $!; exit 4"}, std::chrono::seconds(20));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_status, 4);
  ASSERT_FALSE(r.output.empty());
  EXPECT_EQ(r.output.back(), '\n');
  kill(std::stoi(r.output), SIGKILL);
}

TEST(Process, OwnGroupTimeoutKillsWhatTheChildStarted) {
  // The shell writes its background child's pid, then both outlive the
  // timeout: kOwn kills the group, the background sleep included.
  ProcessResult r = run_process({"sh", "-c", "sleep 30 & echo $!; wait"},
                                std::chrono::milliseconds(500), ProcessGroup::kOwn);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_status, 128 + SIGKILL);
  const pid_t background = std::stoi(r.output);
  // Killed, then reaped by init (or left a zombie until then): never running.
  bool gone = false;
  for (int i = 0; i < 50 && !gone; i++) {
    std::ifstream stat("/proc/" + std::to_string(background) + "/stat");
    std::string pid_field;
    std::string comm;
    char state = '?';
    gone = !(stat >> pid_field >> comm >> state) || state == 'Z';
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "the background sleep " << background << " survived the timeout";
}

TEST(Process, SharedGroupTimeoutKillsTheChildOnly) {
  ProcessResult r =
      run_process({"sh", "-c", "sleep 30 & echo $!; wait"}, std::chrono::milliseconds(500));
  EXPECT_TRUE(r.timed_out);
  const pid_t background = std::stoi(r.output);
  EXPECT_EQ(kill(background, 0), 0) << "the shell's background sleep should still run";
  kill(background, SIGKILL);
}

TEST(Process, SignalDeathIsShellStyle) {
  ProcessResult r = run_process({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(r.exit_status, 128 + SIGTERM);
}

TEST(Process, OutputKeepsTheLastBytes) {
  // 200 KiB of "x" then an end marker: only the last kMaxOutput bytes stay.
  ProcessResult r = run_process({"sh", "-c", "head -c 204800 /dev/zero | tr '\\0' x; echo END"});
  EXPECT_EQ(r.exit_status, 0);
  ASSERT_EQ(r.output.size(), kMaxOutput);
  EXPECT_EQ(r.output.substr(r.output.size() - 4), "END\n");
}

TEST(Process, MissingProgramThrowsWithErrno) {
  try {
    (void)run_process({"/nonexistent/bb-no-such-program"});
    FAIL() << "started a missing program";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.errno_value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find("cannot run /nonexistent/bb-no-such-program"),
              std::string::npos);
  }
}

TEST(Process, RunOrThrow) {
  EXPECT_EQ(run_or_throw({"echo", "hi"}), "hi\n");
  try {
    run_or_throw({"sh", "-c", "echo broken; exit 2"});
    FAIL() << "a failing command did not throw";
  } catch (const ProcessError& e) {
    EXPECT_STREQ(e.what(), "sh -c echo broken; exit 2 failed (exit 2): broken\n");
  }
}

}  // namespace
}  // namespace bb::common
