// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/device_name.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "devmapper/dm_error.h"

namespace bb::devmapper {
namespace {

TEST(DeviceName, AcceptsWhatUdevLeavesUnmangled) {
  EXPECT_EQ(name_problem("bbck123-origin"), std::nullopt);
  EXPECT_EQ(name_problem("vg0-lv_root"), std::nullopt);
  EXPECT_EQ(name_problem("a#b+c-d.e:f=g@h_i"), std::nullopt);
  EXPECT_EQ(name_problem(std::string(kMaxNameLength, 'n')), std::nullopt);
  EXPECT_EQ(uuid_problem("LVM-" + std::string(kMaxUuidLength - 4, 'u')), std::nullopt);
}

TEST(DeviceName, SaysWhatIsWrong) {
  EXPECT_EQ(name_problem(""), "the device name is empty");
  EXPECT_EQ(name_problem("."), "a device name cannot be '.'");
  EXPECT_EQ(name_problem(".."), "a device name cannot be '..'");
  EXPECT_EQ(name_problem("a/b"),
            "the device name holds '/': only A-Z a-z 0-9 and # + - . : = @ _ are allowed");
  EXPECT_EQ(name_problem("a b"),
            "the device name holds byte 32: only A-Z a-z 0-9 and # + - . : = @ _ are allowed");
  EXPECT_EQ(name_problem(std::string(kMaxNameLength + 1, 'n')),
            "the device name is 128 characters long, more than 127");
  EXPECT_EQ(uuid_problem(std::string(kMaxUuidLength + 1, 'u')),
            "the uuid is 129 characters long, more than 128");
  EXPECT_EQ(uuid_problem("x\ny"),
            "the uuid holds byte 10: only A-Z a-z 0-9 and # + - . : = @ _ are allowed");
}

TEST(DeviceName, CheckThrowsEinvalNamingOperationAndDevice) {
  try {
    check_name("create", "snap/0");
    FAIL() << "no error";
  } catch (const DmError& e) {
    EXPECT_EQ(e.error_number(), EINVAL);
    EXPECT_EQ(e.operation(), "create");
    EXPECT_EQ(e.device(), "snap/0");
    EXPECT_STREQ(e.what(),
                 "dm create snap/0: Invalid argument (the device name holds '/': only A-Z a-z 0-9 "
                 "and # + - . : = @ _ "
                 "are allowed)");
  }
  EXPECT_THROW(check_uuid("create", "ok", ""), DmError);
  EXPECT_NO_THROW(check_name("remove", "ok"));
}

TEST(DeviceName, NodeIsUnderDevMapper) { EXPECT_EQ(device_path("rec"), "/dev/mapper/rec"); }

}  // namespace
}  // namespace bb::devmapper
