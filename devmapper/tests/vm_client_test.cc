// SPDX-License-Identifier: GPL-2.0-or-later
// bb-devmapper-vmtest: the device-mapper client against a real kernel, in
// the VM guest (tests/vm/scenarios/devmapper-client.sh). Needs root,
// device-mapper with the zero, multipath (round-robin) and snapshot
// targets, and a scratch disk whose contents it overwrites:
//
//   BB_DM_DISK=/dev/vdb BB_DM_SHELL_DEVICE=bbdmt-shell
//   BB_DM_SHELL_TABLE="0 1024 linear 254:16 2048" bb-devmapper-vmtest
//
// BB_DM_SHELL_DEVICE is a device the scenario made with dmsetup from
// BB_DM_SHELL_TABLE: the client must read back that table and remove it.
// Every device made here is named bbdmt-*.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "devmapper/devices.h"

namespace bb::devmapper {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string env(const char* name) {
  const char* value =
      std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before any thread starts
  return value != nullptr ? value : "";
}

// "major:minor" of a block device, as the kernel prints it in tables.
std::string devno(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return "";
  return std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
}

int64_t ms_since(Clock::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
}

// What `f` throws as DmError; fails the test if it throws nothing.
template <typename F>
DmError thrown(F f) {
  try {
    f();
  } catch (const DmError& e) {
    return e;
  }
  ADD_FAILURE() << "no DmError";
  return DmError("none", "", 0);
}

class Client : public testing::Test {
 protected:
  void SetUp() override {
    disk_ = env("BB_DM_DISK");
    ASSERT_FALSE(disk_.empty()) << "set BB_DM_DISK to a scratch block device";
    disk_devno_ = devno(disk_);
    ASSERT_FALSE(disk_devno_.empty()) << disk_ << " is not a block device";
  }
  // Whatever a test left (also after a failed assertion), views first.
  void TearDown() override {
    for (int pass = 0; pass < 3; ++pass) {
      for (const ListedDevice& d : list_devices()) {
        if (d.name.starts_with("bbdmt-") && d.name != env("BB_DM_SHELL_DEVICE")) {
          try {
            remove(d.name, milliseconds(500));
          } catch (const DmError&) {  // held by another one: next pass
          }
        }
      }
    }
  }
  std::string disk_;
  std::string disk_devno_;
};

TEST_F(Client, CreateGivesANodeAndTheTableReadsBack) {
  // Bytes at sector 4096 of the disk show at sector 0 of the device.
  const std::string pattern = "blackbox devmapper client test pattern";
  {
    int fd = open(disk_.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, pattern.data(), pattern.size(), off_t{4096} * 512),
              static_cast<ssize_t>(pattern.size()));
    ASSERT_EQ(fsync(fd), 0);
    close(fd);
  }
  create("bbdmt-lin", {{0, 2048, "linear", disk_ + " 4096"}, {2048, 1024, "zero", ""}});
  DeviceInfo i = info("bbdmt-lin");
  ASSERT_TRUE(i.exists);
  EXPECT_TRUE(i.live_table);
  EXPECT_FALSE(i.inactive_table);
  EXPECT_FALSE(i.suspended);
  EXPECT_EQ(i.open_count, 0);
  EXPECT_EQ(i.target_count, 2);
  EXPECT_EQ(devno(device_path("bbdmt-lin")),
            std::to_string(i.major) + ":" + std::to_string(i.minor));

  std::vector<TargetLine> expected = {{0, 2048, "linear", disk_devno_ + " 4096"},
                                      {2048, 1024, "zero", ""}};
  EXPECT_EQ(table("bbdmt-lin"), expected);
  EXPECT_EQ(format_table(table("bbdmt-lin")),
            "0 2048 linear " + disk_devno_ + " 4096\n2048 1024 zero");
  std::vector<TargetLine> st = status("bbdmt-lin");
  ASSERT_EQ(st.size(), 2U);
  EXPECT_EQ(st[0], (TargetLine{0, 2048, "linear", ""}));
  EXPECT_EQ(st[1], (TargetLine{2048, 1024, "zero", ""}));

  int fd = open(device_path("bbdmt-lin").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(info("bbdmt-lin").open_count, 1);
  std::string read_back(pattern.size(), '\0');
  EXPECT_EQ(pread(fd, read_back.data(), read_back.size(), 0),
            static_cast<ssize_t>(read_back.size()));
  EXPECT_EQ(read_back, pattern);
  std::string zeros(512, 'x');
  EXPECT_EQ(pread(fd, zeros.data(), zeros.size(), off_t{2048} * 512), 512);
  EXPECT_EQ(zeros, std::string(512, '\0'));
  close(fd);

  remove("bbdmt-lin");
  EXPECT_FALSE(info("bbdmt-lin").exists);
  EXPECT_TRUE(devno(device_path("bbdmt-lin")).empty()) << "the node outlived the device";
}

TEST_F(Client, CreateSetsTheUuid) {
  create("bbdmt-uuid", {{0, 8, "zero", ""}}, "BBDMT-0123-abcd");
  EXPECT_EQ(info("bbdmt-uuid").uuid, "BBDMT-0123-abcd");
  create("bbdmt-nouuid", {{0, 8, "zero", ""}});
  EXPECT_EQ(info("bbdmt-nouuid").uuid, "");
}

TEST_F(Client, ReloadGoesLiveAtResume) {
  create("bbdmt-rel", {{0, 2048, "zero", ""}});
  reload("bbdmt-rel", {{0, 4096, "error", ""}});
  DeviceInfo i = info("bbdmt-rel");
  EXPECT_TRUE(i.inactive_table);
  EXPECT_EQ(table("bbdmt-rel"), (std::vector<TargetLine>{{0, 2048, "zero", ""}}));
  suspend("bbdmt-rel", Flush::kNoFlush);
  EXPECT_TRUE(info("bbdmt-rel").suspended);
  resume("bbdmt-rel");
  i = info("bbdmt-rel");
  EXPECT_FALSE(i.suspended);
  EXPECT_FALSE(i.inactive_table);
  EXPECT_EQ(table("bbdmt-rel"), (std::vector<TargetLine>{{0, 4096, "error", ""}}));
  suspend("bbdmt-rel");
  EXPECT_TRUE(info("bbdmt-rel").suspended);
  resume("bbdmt-rel");
  EXPECT_FALSE(info("bbdmt-rel").suspended);
}

// dm core answers "@stats_*" messages on every device: a reply string.
TEST_F(Client, MessageReturnsTheReply) {
  create("bbdmt-msg", {{0, 2048, "zero", ""}});
  std::string id = message("bbdmt-msg", 0, "@stats_create - /4");
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) << id;
  std::string list = message("bbdmt-msg", 0, "@stats_list");
  EXPECT_NE(list.find(id + ": 0+2048 512 "), std::string::npos) << list;
  EXPECT_EQ(message("bbdmt-msg", 0, "@stats_delete " + id), "");
  EXPECT_EQ(message("bbdmt-msg", 0, "@stats_list"), "");
}

TEST_F(Client, MessageTheTargetRefusesNamesTheDevice) {
  create("bbdmt-nomsg", {{0, 8, "zero", ""}});
  DmError e = thrown([] { (void)message("bbdmt-nomsg", 0, "hello"); });
  EXPECT_EQ(e.error_number(), EINVAL);
  EXPECT_NE(std::string(e.what()).find(
                "dm message bbdmt-nomsg: Invalid argument (message at sector 0: hello"),
            std::string::npos)
      << e.what();
}

TEST_F(Client, ListFiltersByTargetType) {
  create("bbdmt-z1", {{0, 8, "zero", ""}});
  create("bbdmt-z2", {{0, 8, "error", ""}, {8, 8, "zero", ""}});
  create("bbdmt-e1", {{0, 8, "error", ""}});
  auto ours = [](const std::vector<ListedDevice>& all) {
    std::vector<std::string> names;
    for (const ListedDevice& d : all) {
      if (d.name.starts_with("bbdmt-") && d.name != env("BB_DM_SHELL_DEVICE"))
        names.push_back(d.name);
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  EXPECT_EQ(ours(list_devices()), (std::vector<std::string>{"bbdmt-e1", "bbdmt-z1", "bbdmt-z2"}));
  EXPECT_EQ(ours(list_devices("zero")), (std::vector<std::string>{"bbdmt-z1", "bbdmt-z2"}));
  EXPECT_EQ(ours(list_devices("error")), (std::vector<std::string>{"bbdmt-e1", "bbdmt-z2"}));
  EXPECT_EQ(ours(list_devices("linear")), std::vector<std::string>{});
  DeviceInfo i = info("bbdmt-e1");
  for (const ListedDevice& d : list_devices("error")) {
    if (d.name == "bbdmt-e1") {
      EXPECT_EQ(d, (ListedDevice{"bbdmt-e1", i.major, i.minor}));
    }
  }
}

// dm-multipath raises a table event when a path fails or comes back; its
// "fail_path" and "reinstate_path" messages do that.
TEST_F(Client, EventWaitIsWokenByAMessage) {
  // Bio-based (no request queue stacking needed): one priority group, one path.
  create("bbdmt-mp",
         {{0, 2048, "multipath", "2 queue_mode bio 0 1 1 round-robin 0 1 1 " + disk_ + " 1"}});
  uint32_t seen = info("bbdmt-mp").event_nr;
  auto t0 = Clock::now();
  std::jthread sender([] {
    std::this_thread::sleep_for(milliseconds(400));
    (void)message("bbdmt-mp", 0, "fail_path " + env("BB_DM_DISK"));
  });
  std::optional<uint32_t> now = wait_event("bbdmt-mp", seen, milliseconds(20000));
  int64_t waited = ms_since(t0);
  ASSERT_TRUE(now.has_value()) << "no event in 20 s";
  EXPECT_NE(*now, seen);
  EXPECT_GE(waited, 350) << "it did not wait for the message";
  EXPECT_LT(waited, 15000);
  sender.join();
  EXPECT_NE(status("bbdmt-mp").at(0).params.find(disk_devno_ + " F 1"), std::string::npos)
      << status("bbdmt-mp").at(0).params;

  // The event already happened before the wait: returned at once.
  seen = *now;
  (void)message("bbdmt-mp", 0, "reinstate_path " + disk_);
  t0 = Clock::now();
  now = wait_event("bbdmt-mp", seen, milliseconds(20000));
  ASSERT_TRUE(now.has_value());
  EXPECT_NE(*now, seen);
  EXPECT_EQ(info("bbdmt-mp").event_nr, *now);
  EXPECT_NE(status("bbdmt-mp").at(0).params.find(disk_devno_ + " A 1"), std::string::npos)
      << status("bbdmt-mp").at(0).params;
}

// A snapshot whose copy-on-write store fills up becomes invalid and raises
// an event: a status change that no message made.
TEST_F(Client, EventWaitIsWokenByAStatusChange) {
  create("bbdmt-sorig", {{0, 2048, "linear", disk_ + " 0"}});
  create("bbdmt-scow", {{0, 32, "linear", disk_ + " 8192"}});  // room for 4 chunks of 4 KiB
  create("bbdmt-snap", {{0, 2048, "snapshot",
                         device_path("bbdmt-sorig") + " " + device_path("bbdmt-scow") + " N 8"}});
  EXPECT_EQ(status("bbdmt-snap").at(0).params.find("Invalid"), std::string::npos);
  uint32_t seen = info("bbdmt-snap").event_nr;
  auto t0 = Clock::now();
  std::jthread writer([] {
    std::this_thread::sleep_for(milliseconds(400));
    int fd = open(device_path("bbdmt-snap").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    const std::string chunk(4096, 'w');
    for (int i = 0; i < 16; ++i)
      (void)pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(i) * 65536);
    (void)fsync(fd);  // fails: the snapshot is invalid by then
    close(fd);
  });
  std::optional<uint32_t> now = wait_event("bbdmt-snap", seen, milliseconds(20000));
  int64_t waited = ms_since(t0);
  writer.join();
  ASSERT_TRUE(now.has_value()) << "no event in 20 s";
  EXPECT_GE(waited, 350);
  EXPECT_EQ(status("bbdmt-snap").at(0).params, "Invalid");
}

TEST_F(Client, EventWaitTimesOut) {
  create("bbdmt-quiet", {{0, 8, "zero", ""}});
  uint32_t seen = info("bbdmt-quiet").event_nr;
  auto t0 = Clock::now();
  EXPECT_EQ(wait_event("bbdmt-quiet", seen, milliseconds(700)), std::nullopt);
  int64_t waited = ms_since(t0);
  EXPECT_GE(waited, 700);
  EXPECT_LT(waited, 5000);
  // Another device's events wake the poll but do not end this wait.
  create("bbdmt-other", {{0, 8, "zero", ""}});
  std::jthread other([] {
    std::this_thread::sleep_for(milliseconds(200));
    remove("bbdmt-other");
  });
  t0 = Clock::now();
  EXPECT_EQ(wait_event("bbdmt-quiet", seen, milliseconds(700)), std::nullopt);
  EXPECT_GE(ms_since(t0), 700);
  EXPECT_EQ(wait_event("bbdmt-quiet", seen, milliseconds(0)), std::nullopt);
}

TEST_F(Client, EventWaitEndsWhenTheDeviceGoes) {
  create("bbdmt-gone", {{0, 8, "zero", ""}});
  uint32_t seen = info("bbdmt-gone").event_nr;
  std::jthread remover([] {
    std::this_thread::sleep_for(milliseconds(300));
    remove("bbdmt-gone");
  });
  DmError e = thrown([&] { (void)wait_event("bbdmt-gone", seen, milliseconds(20000)); });
  EXPECT_EQ(e.error_number(), ENXIO);
  EXPECT_STREQ(e.what(), "dm wait bbdmt-gone: No such device or address (the device was removed)");
  e = thrown([] { (void)wait_event("bbdmt-never", 0, milliseconds(100)); });
  EXPECT_STREQ(e.what(), "dm wait bbdmt-never: No such device or address (no such device)");
}

TEST_F(Client, BadTableNamesTheDeviceAndTheErrno) {
  testing::internal::CaptureStderr();
  DmError e = thrown([&] { create("bbdmt-bad", {{0, 8, "linear", disk_}}); });  // no offset
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(e.error_number(), EINVAL);
  EXPECT_EQ(e.device(), "bbdmt-bad");
  std::string what = e.what();
  std::cout << "a refused table: " << what << "\n";
  EXPECT_TRUE(what.starts_with("dm create bbdmt-bad: Invalid argument (table: 0 8 linear " + disk_))
      << what;
  EXPECT_NE(what.find("libdevmapper: "), std::string::npos) << what;
  EXPECT_EQ(err, "") << "libdevmapper wrote to stderr";
  EXPECT_FALSE(info("bbdmt-bad").exists) << "the half-made device was left";
  e = thrown([] { create("bbdmt-bad", {{0, 8, "no-such-target", ""}}); });
  EXPECT_EQ(e.error_number(), EINVAL);
  e = thrown([] { reload("bbdmt-never", {{0, 8, "zero", ""}}); });
  EXPECT_EQ(e.error_number(), ENXIO) << e.what();
  EXPECT_TRUE(std::string(e.what()).starts_with("dm reload bbdmt-never: No such device or address"))
      << e.what();
  e = thrown([] { (void)status("bbdmt-never"); });
  EXPECT_STREQ(e.what(), "dm status bbdmt-never: No such device or address (no such device)");
}

TEST_F(Client, RemoveRetriesABusyDeviceThenSaysSo) {
  create("bbdmt-busy", {{0, 8, "zero", ""}});
  int fd = open(device_path("bbdmt-busy").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto t0 = Clock::now();
  DmError e = thrown([] { remove("bbdmt-busy", milliseconds(300)); });
  EXPECT_GE(ms_since(t0), 300);
  EXPECT_EQ(e.error_number(), EBUSY);
  EXPECT_NE(std::string(e.what()).find(
                "dm remove bbdmt-busy: Device or resource busy (still open 1 time(s) after "),
            std::string::npos)
      << e.what();
  std::jthread closer([fd] {
    std::this_thread::sleep_for(milliseconds(300));
    close(fd);
  });
  remove("bbdmt-busy", milliseconds(10000));
  EXPECT_FALSE(info("bbdmt-busy").exists);
  EXPECT_EQ(thrown([] { remove("bbdmt-busy"); }).error_number(), ENXIO);
}

TEST_F(Client, ReadsATableDmsetupMade) {
  const std::string name = env("BB_DM_SHELL_DEVICE");
  ASSERT_FALSE(name.empty()) << "set BB_DM_SHELL_DEVICE and BB_DM_SHELL_TABLE";
  EXPECT_EQ(table(name), parse_table(env("BB_DM_SHELL_TABLE")));
  remove(name);
  EXPECT_FALSE(info(name).exists);
}

}  // namespace
}  // namespace bb::devmapper

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
