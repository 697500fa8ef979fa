// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/system_error.h"

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

namespace bb::common {
namespace {

TEST(SystemError, KeepsErrnoAndMessage) {
  SystemError e(ENOENT, "log device /dev/x: no such block device");
  EXPECT_EQ(e.errno_value(), ENOENT);
  EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  EXPECT_STREQ(e.what(), "log device /dev/x: no such block device");
}

TEST(SystemError, ThrowErrnoAddsStrerror) {
  errno = EACCES;
  try {
    throw_errno("cannot open /secret");
    FAIL() << "throw_errno returned";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EACCES);
    EXPECT_EQ(std::string(e.what()), std::string("cannot open /secret: ") + std::strerror(EACCES));
  }
}

TEST(SystemError, ErrnoText) {
  EXPECT_EQ(errno_text(EINVAL), std::strerror(EINVAL));
  EXPECT_FALSE(errno_text(123456).empty());
}

}  // namespace
}  // namespace bb::common
