// SPDX-License-Identifier: GPL-2.0-or-later
// Checks of recording groups: the {dev:NAME} and {image:NAME} placeholders
// of user commands, the xfs profile with an external log device, and what
// run_group_checks refuses. Runs end to end on group logs are in
// integration/group_cli.sh and integration/host_xfs_extlog_group.sh.
#include "crashcheck/group_check.h"

#include <gtest/gtest.h>

#include <chrono>

#include "crashcheck/check_profiles.h"
#include "crashcheck/error.h"
#include "test_log.h"

namespace bb::crashcheck {
namespace {

CheckTarget group_target(const std::string& scratch) {
  CheckTarget t{"/dev/loop7", "/w/0/view-1.img", scratch, 42, {}};
  t.devices = {{"data", "/dev/loop7", "/w/0/view-1.img"}, {"log", "/dev/loop8", "/w/1/view-1.img"}};
  return t;
}

TEST(GroupCheck, CommandDeviceNames) {
  EXPECT_EQ(command_device_names("xfs_repair -l {dev:log} {dev:data}; cmp {image:log} {image:x}"),
            (std::vector<std::string>{"log", "data", "x"}));
  EXPECT_TRUE(command_device_names("fsck {dev} {image} {mnt}").empty());
  EXPECT_TRUE(command_device_names("echo {dev:unclosed").empty());
}

TEST(GroupCheck, NamedPlaceholders) {
  testing::TempDir dir;
  auto check = make_command_check(
      "test '{dev:data} {dev:log} {image:log} {dev} {image} {entry}' = "
      "'/dev/loop7 /dev/loop8 /w/1/view-1.img /dev/loop7 /w/0/view-1.img 42'",
      std::chrono::seconds(10));
  EXPECT_TRUE(check->needs_block_device());
  const CheckOutcome out = check->run(group_target(dir.path()));
  EXPECT_TRUE(out.passed) << out.output;
  EXPECT_NE(out.output.find("$ test '/dev/loop7 /dev/loop8 /w/1/view-1.img"), std::string::npos);
}

TEST(GroupCheck, ImageOnlyCommandNeedsNoDevice) {
  auto check = make_command_check("cmp {image:a} {image:b}", std::chrono::seconds(10));
  EXPECT_FALSE(check->needs_block_device());
  auto with_dev = make_command_check("fsck {dev:a}", std::chrono::seconds(10));
  EXPECT_TRUE(with_dev->needs_block_device());
}

TEST(GroupCheck, UnknownNameIsASetUpError) {
  testing::TempDir dir;
  auto check = make_command_check("true {dev:nope}", std::chrono::seconds(10));
  EXPECT_THROW((void)check->run(group_target(dir.path())), CheckerError);
  EXPECT_THROW((void)named_path(group_target(dir.path()), "nope", true), CheckerError);
  EXPECT_EQ(named_path(group_target(dir.path()), "log", false), "/w/1/view-1.img");
}

TEST(GroupCheck, XfsExternalLogProfile) {
  auto check = make_profile_check("xfs", std::chrono::seconds(10), "log");
  EXPECT_EQ(check->name(), "xfs logdev=log");
  EXPECT_NE(check->identity().find("xfs logdev=log"), std::string::npos);
  EXPECT_THROW((void)make_profile_check("ext4", std::chrono::seconds(10), "log"), CheckerError);
  EXPECT_EQ(make_profile_check("xfs", std::chrono::seconds(10))->name(), "xfs");
}

TEST(GroupCheck, RefusesWhatGroupsDoNotDo) {
  auto check = make_command_check("true", std::chrono::seconds(10));
  CheckerOptions o;
  o.check = check.get();
  o.group = {{"a.log", "a"}, {"b.log", "b"}};
  o.points = PointSelection::parse("fua");
  CheckerOptions target = o;
  target.target = "t.img";
  EXPECT_THROW((void)run_group_checks(target), CheckerError);
  CheckerOptions beyond = o;
  beyond.beyond.drop_up_to = 1;
  EXPECT_THROW((void)run_group_checks(beyond), CheckerError);
  CheckerOptions one = o;
  one.group.pop_back();
  EXPECT_THROW((void)run_group_checks(one), CheckerError);
  CheckerOptions twice = o;
  twice.group[1].name = "a";
  EXPECT_THROW((void)run_group_checks(twice), CheckerError);
}

}  // namespace
}  // namespace bb::crashcheck
