// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/file_descriptor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "common/system_error.h"
#include "common/tests/temp_dir.h"

namespace bb::common {
namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(FileDescriptor, ClosesOnDestruction) {
  int raw = -1;
  {
    FileDescriptor fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    raw = fd.get();
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(FileDescriptor, MoveTransfersOwnership) {
  FileDescriptor a = open_file("/dev/null", O_RDONLY);
  const int raw = a.get();
  FileDescriptor b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.get(), raw);
  FileDescriptor c = open_file("/dev/null", O_RDONLY);
  const int other = c.get();
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_FALSE(is_open(other));  // assignment closed what c held
  EXPECT_TRUE(is_open(raw));
}

TEST(FileDescriptor, ReleaseAndReset) {
  FileDescriptor fd = open_file("/dev/null", O_RDONLY);
  const int raw = fd.release();
  EXPECT_FALSE(fd);
  EXPECT_TRUE(is_open(raw));
  FileDescriptor again(raw);
  again.reset();
  EXPECT_FALSE(again);
  EXPECT_FALSE(is_open(raw));
}

TEST(FileDescriptor, OpenSetsCloexec) {
  FileDescriptor fd = open_file("/dev/null", O_RDONLY);
  EXPECT_NE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(FileDescriptor, OpenFailureNamesPathAndKeepsErrno) {
  testing::TempDir dir;
  const std::string missing = dir.file("missing");
  try {
    (void)open_file(missing, O_RDONLY, 0, "(the log)");
    FAIL() << "open_file did not throw";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.errno_value(), ENOENT);
    EXPECT_EQ(std::string(e.what()).rfind("cannot open " + missing + " (the log): ", 0), 0U)
        << e.what();
  }
}

TEST(FileDescriptor, PipeCarriesBytes) {
  Pipe p = make_pipe();
  ASSERT_EQ(::write(p.write.get(), "ab", 2), 2);
  p.write.reset();
  char buf[4] = {};
  EXPECT_EQ(::read(p.read.get(), buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf, 2), "ab");
  EXPECT_EQ(::read(p.read.get(), buf, sizeof buf), 0);  // EOF: no write end left
}

}  // namespace
}  // namespace bb::common
