// SPDX-License-Identifier: GPL-2.0-or-later
// The progress bar on a real terminal: a pseudo-terminal stands in for
// stderr, so the test sees exactly the bytes a user's terminal would.
#include "engine/progress.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace bb::replay {
namespace {

// Points fd 2 at another file for the lifetime of the object.
class StderrRedirect {
 public:
  explicit StderrRedirect(int fd) : saved_(::dup(STDERR_FILENO)) {
    std::fflush(stderr);
    ::dup2(fd, STDERR_FILENO);
  }
  StderrRedirect(const StderrRedirect&) = delete;
  StderrRedirect& operator=(const StderrRedirect&) = delete;
  ~StderrRedirect() {
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }

 private:
  int saved_;
};

std::string drain(int fd) {
  std::string out;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 100) > 0) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST(ProgressBar, DrawsOnATerminalAfterASecondAndErasesItself) {
  int master = -1;
  int slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  std::string out;
  bool tty = false;
  {
    StderrRedirect to_pty(slave);
    tty = ProgressBar::stderr_is_tty();
    ProgressBar bar("replaying", 100, tty);
    bar.update(10, 1 << 20);  // under a second: nothing yet
    std::fflush(stderr);
    std::string early = drain(master);
    EXPECT_EQ(early, "");
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    bar.update(50, 50 << 20);
  }
  out = drain(master);
  ::close(slave);
  ::close(master);
  EXPECT_TRUE(tty);
  EXPECT_NE(out.find("replaying ["), std::string::npos) << out;
  EXPECT_NE(out.find(" 50.0% 50/100 entries"), std::string::npos) << out;
  // The last thing written erases the line.
  EXPECT_TRUE(out.ends_with("\r\033[K")) << out;
}

TEST(ProgressBar, QuietOnAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  {
    StderrRedirect to_pipe(fds[1]);
    EXPECT_FALSE(ProgressBar::stderr_is_tty());
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace bb::replay
