// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/file_info.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "common/file_descriptor.h"
#include "common/system_error.h"
#include "common/tests/temp_dir.h"

namespace bb::common {
namespace {

TEST(FileInfo, RegularFileSize) {
  testing::TempDir dir;
  const std::string path = dir.file("image");
  {
    FileDescriptor fd = open_file(path, O_WRONLY | O_CREAT, 0600);
    ASSERT_EQ(::ftruncate(fd.get(), 12345), 0);
  }
  FileDescriptor fd = open_file(path, O_RDONLY);
  FileInfo info = file_info(fd.get(), path);
  EXPECT_EQ(info.size, 12345U);
  EXPECT_TRUE(info.regular_file);
  EXPECT_FALSE(info.block_device);
  EXPECT_NE(info.inode, 0U);
  EXPECT_EQ(file_size(path), 12345U);
  EXPECT_FALSE(is_block_device(path));
}

TEST(FileInfo, MissingFileNamesPath) {
  testing::TempDir dir;
  const std::string path = dir.file("missing");
  EXPECT_FALSE(is_block_device(path));
  try {
    (void)file_size(path);
    FAIL() << "file_size did not throw";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.errno_value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

TEST(FileInfo, BadDescriptor) {
  try {
    (void)file_info(-1, "nothing");
    FAIL() << "file_info did not throw";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.errno_value(), EBADF);
    EXPECT_EQ(std::string(e.what()).rfind("cannot stat nothing: ", 0), 0U) << e.what();
  }
}

// A block device is sized by BLKGETSIZE64: a loop device over a file of
// 1 MiB says 1 MiB. Needs root and loop devices; skipped without them.
TEST(FileInfo, BlockDeviceSize) {
  FileDescriptor control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control) GTEST_SKIP() << "no /dev/loop-control";
  testing::TempDir dir;
  const std::string backing = dir.file("backing");
  FileDescriptor file = open_file(backing, O_RDWR | O_CREAT, 0600);
  ASSERT_EQ(::ftruncate(file.get(), 1 << 20), 0);
  FileDescriptor loop;
  std::string device;
  for (int attempt = 0; attempt < 10 && !loop; ++attempt) {
    const int n = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (n < 0) GTEST_SKIP() << "no free loop device";
    device = "/dev/loop" + std::to_string(n);
    FileDescriptor candidate(::open(device.c_str(), O_RDWR | O_CLOEXEC));
    if (candidate && ::ioctl(candidate.get(), LOOP_SET_FD, file.get()) == 0)
      loop = std::move(candidate);
  }
  if (!loop) GTEST_SKIP() << "cannot attach a loop device";
  EXPECT_TRUE(is_block_device(device));
  FileInfo info = file_info(loop.get(), device);
  EXPECT_TRUE(info.block_device);
  EXPECT_FALSE(info.regular_file);
  EXPECT_EQ(info.size, uint64_t{1} << 20);
  EXPECT_EQ(file_size(device), uint64_t{1} << 20);
  EXPECT_EQ(::ioctl(loop.get(), LOOP_CLR_FD), 0);
}

}  // namespace
}  // namespace bb::common
