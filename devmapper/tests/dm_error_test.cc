// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/dm_error.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "devmapper/libdm_task.h"

namespace bb::devmapper {
namespace {

TEST(DmError, SaysOperationDeviceErrnoAndDetail) {
  DmError e("create", "snap0", EINVAL, "table: 0 8 linear 254:0");
  EXPECT_STREQ(e.what(), "dm create snap0: Invalid argument (table: 0 8 linear 254:0)");
  EXPECT_EQ(e.operation(), "create");
  EXPECT_EQ(e.device(), "snap0");
  EXPECT_EQ(e.detail(), "table: 0 8 linear 254:0");
  EXPECT_EQ(e.error_number(), EINVAL);
  EXPECT_EQ(e.code(), std::error_code(EINVAL, std::generic_category()));
  EXPECT_EQ(e.code(), std::errc::invalid_argument);
}

TEST(DmError, LeavesOutWhatIsNotKnown) {
  EXPECT_STREQ(DmError("remove", "rec", EBUSY).what(), "dm remove rec: Device or resource busy");
  EXPECT_STREQ(DmError("list", "", ENOMEM).what(), "dm list: Cannot allocate memory");
}

TEST(DmError, IsASystemErrorAndCopiesWhole) {
  DmError copy = DmError("wait", "rec", ENXIO, "the device was removed");
  const std::system_error& base = copy;
  EXPECT_STREQ(base.what(), "dm wait rec: No such device or address (the device was removed)");
}

// libdevmapper's log is captured under the lock, not printed: warnings and
// errors are kept with the last errno, debug chatter is dropped.
TEST(LibdmLog, CapturedUnderTheLockNotPrinted) {
  testing::internal::CaptureStderr();
  std::string log;
  int err = 0;
  {
    detail::LibdmLock lock;
    detail::capture_libdm_log(3, "libdm-iface.c", 1, EINVAL, "reload ioctl on %s failed: %s",
                              "snap0", "Invalid argument");
    detail::capture_libdm_log(7, "libdm-iface.c", 2, 0, "dm %s debug chatter", "table");
    detail::capture_libdm_log(4 | 128, "libdm-common.c", 3, 0, "Udev %s", "warning");
    err = lock.logged_errno();
    log = lock.take_log();
    EXPECT_EQ(lock.take_log(), "");
  }
  detail::capture_libdm_log(3, "libdm-config.c", 4, EIO, "after the lock: %d", 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(log, "reload ioctl on snap0 failed: Invalid argument; Udev warning");
  EXPECT_EQ(err, EINVAL);
  detail::LibdmLock again;
  EXPECT_EQ(again.take_log(), "");  // the message logged without a lock was dropped
  EXPECT_EQ(again.logged_errno(), 0);
}

}  // namespace
}  // namespace bb::devmapper
