// SPDX-License-Identifier: GPL-2.0-or-later
// filesystem_io_unit() on superblocks written by hand and, where the mkfs
// programs are installed, on real filesystems.
#include "crashcheck/fs_superblock.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "crashcheck/view_file.h"
#include "test_log.h"

namespace bb::crashcheck {
namespace {

void put_bytes(const std::string& path, off_t offset, const std::vector<uint8_t>& bytes) {
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), offset), static_cast<ssize_t>(bytes.size()));
  close(fd);
}

class FilesystemIoUnit : public ::testing::Test {
 protected:
  void SetUp() override { create_image(image, 1 << 20); }
  testing::TempDir dir;
  std::string image = dir.path() + "/fs.img";
};

TEST_F(FilesystemIoUnit, Ext4BlockSize) {
  put_bytes(image, 1024 + 56, {0x53, 0xef});
  put_bytes(image, 1024 + 24, {2, 0, 0, 0});  // 1024 << 2
  EXPECT_EQ(filesystem_io_unit(image), 4096u);
  put_bytes(image, 1024 + 24, {0, 0, 0, 0});
  EXPECT_EQ(filesystem_io_unit(image), 1024u);
}

TEST_F(FilesystemIoUnit, XfsSectorSize) {
  put_bytes(image, 0, {'X', 'F', 'S', 'B'});
  put_bytes(image, 102, {0x02, 0x00});  // big-endian 512
  EXPECT_EQ(filesystem_io_unit(image), 512u);
  put_bytes(image, 102, {0x10, 0x00});
  EXPECT_EQ(filesystem_io_unit(image), 4096u);
}

TEST_F(FilesystemIoUnit, BtrfsSectorSize) {
  put_bytes(image, 0x10040, {'_', 'B', 'H', 'R', 'f', 'S', '_', 'M'});
  put_bytes(image, 0x10090, {0x00, 0x10, 0, 0});
  EXPECT_EQ(filesystem_io_unit(image), 4096u);
}

TEST_F(FilesystemIoUnit, AnythingElseOrImplausibleIs512) {
  EXPECT_EQ(filesystem_io_unit(image), 512u);
  EXPECT_EQ(filesystem_io_unit(dir.path() + "/missing"), 512u);
  put_bytes(image, 0, {'X', 'F', 'S', 'B'});
  put_bytes(image, 102, {0x03, 0x00});  // 768: not a power of two
  EXPECT_EQ(filesystem_io_unit(image), 512u);
  put_bytes(image, 102, {0x00, 0x00});
  EXPECT_EQ(filesystem_io_unit(image), 512u);
}

bool have(const char* program) {
  return std::system((std::string("command -v ") + program + " >/dev/null 2>&1").c_str()) == 0;
}

TEST_F(FilesystemIoUnit, RealFilesystems) {
  if (!have("mkfs.ext4") || !have("mkfs.xfs")) GTEST_SKIP() << "no mkfs.ext4 or mkfs.xfs";
  std::string big = dir.path() + "/big.img";
  create_image(big, 320 << 20);
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F -b 1024 " + big).c_str()), 0);
  EXPECT_EQ(filesystem_io_unit(big), 1024u);
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F -b 4096 " + big).c_str()), 0);
  EXPECT_EQ(filesystem_io_unit(big), 4096u);
  ASSERT_EQ(std::system(("mkfs.xfs -q -f -s size=512 " + big).c_str()), 0);
  EXPECT_EQ(filesystem_io_unit(big), 512u);
}

}  // namespace
}  // namespace bb::crashcheck
