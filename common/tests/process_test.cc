// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

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
