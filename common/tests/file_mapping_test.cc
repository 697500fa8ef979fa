// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/file_mapping.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "common/file_descriptor.h"
#include "common/system_error.h"
#include "common/tests/temp_dir.h"

namespace bb::common {
namespace {

void write_file(const std::string& path, const std::string& text) {
  FileDescriptor fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_EQ(::write(fd.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

TEST(FileMapping, MapsTheBytes) {
  testing::TempDir dir;
  const std::string path = dir.file("index");
  write_file(path, "blackbox");
  FileMapping map(path);
  ASSERT_EQ(map.bytes().size(), 8U);
  EXPECT_EQ(std::string(map.bytes().begin(), map.bytes().end()), "blackbox");
  FileMapping moved(std::move(map));
  // Checking the moved-from state on purpose.
  // NOLINTNEXTLINE(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_TRUE(map.bytes().empty());
  EXPECT_EQ(moved.bytes().size(), 8U);
  FileMapping other(path);
  other = std::move(moved);
  EXPECT_EQ(std::string(other.bytes().begin(), other.bytes().end()), "blackbox");
}

TEST(FileMapping, EmptyFileMapsToNothing) {
  testing::TempDir dir;
  const std::string path = dir.file("empty");
  write_file(path, "");
  EXPECT_TRUE(FileMapping(path).bytes().empty());
}

TEST(FileMapping, ErrorsNameThePath) {
  testing::TempDir dir;
  const std::string missing = dir.file("missing");
  try {
    FileMapping map(missing);
    FAIL() << "mapped a missing file";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.errno_value(), ENOENT);
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos);
  }
  try {
    FileMapping map("/dev/null");
    FAIL() << "mapped a character device";
  } catch (const SystemError& e) {
    EXPECT_EQ(e.errno_value(), EINVAL);
    EXPECT_STREQ(e.what(), "/dev/null is not a regular file");
  }
}

}  // namespace
}  // namespace bb::common
