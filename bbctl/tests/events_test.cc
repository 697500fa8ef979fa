// SPDX-License-Identifier: GPL-2.0-or-later
#include "bbctl/events.h"

#include <gtest/gtest.h>

namespace bb::bbctl {
namespace {

DeviceState mirror(const std::string& status_params) {
  DeviceState d;
  d.name = "m0";
  d.dev = "253:0";
  d.table = {{0, 262144, "bb-mirror", "disk 2 254:48 1024 2 254:16 0 254:32 0 1 handle_errors"}};
  d.status = {{0, 262144, "bb-mirror", status_params}};
  return d;
}

constexpr const char* kInSync =
    "2 254:16 254:32 128/128 1 AA 3 disk 254:48 A 9 idle 0 0 0 0 AA 0 0 4";
constexpr const char* kFailed =
    "2 254:16 254:32 125/128 1 AD 3 disk 254:48 A 9 idle 0 3 0 0 AF 0 0 4";
constexpr const char* kResync =
    "2 254:16 254:32 126/128 1 AA 3 disk 254:48 A 9 running 1 2 512 1 AS 0 0 4";

std::string line(const Event& e) { return format_event(e, {}, {}); }

TEST(Events, MirrorObjectsFromStatus) {
  const auto objects = objects_of(mirror(kInSync));
  ASSERT_EQ(objects.size(), 4U);
  EXPECT_EQ(line({EventKind::kExists, objects[0]}),
            "exists device name:m0 dev:253:0 target:bb-mirror sectors:262144 legs:2 "
            "regions:128 log:disk");
  EXPECT_EQ(line({EventKind::kExists, objects[2]}),
            "exists leg name:m0 leg:1 dev:254:32 state:current health:A");
  EXPECT_EQ(line({EventKind::kExists, objects[3]}),
            "exists resync name:m0 state:idle copied:0 remaining:0 in-sync:128 rate:0 source:0");
}

TEST(Events, ALegFailsAndIsResynced) {
  const auto in_sync = objects_of(mirror(kInSync));
  const auto failed = objects_of(mirror(kFailed));
  const auto resync = objects_of(mirror(kResync));
  auto events = diff(in_sync, failed);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(line(events[0]), "change leg name:m0 leg:1 dev:254:32 state:failed health:D");
  EXPECT_EQ(line(events[1]),
            "change resync name:m0 state:idle copied:0 remaining:3 in-sync:125 rate:0 source:0");
  events = diff(failed, resync);
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(line(events[0]), "change leg name:m0 leg:1 dev:254:32 state:stale health:A");
  EXPECT_EQ(line(events[1]),
            "change resync name:m0 state:running copied:1 remaining:2 in-sync:126 rate:512 "
            "source:0 done:33.3 eta:1");
  EXPECT_TRUE(diff(resync, resync).empty());
}

TEST(Events, CreateAndDestroy) {
  const auto objects = objects_of(mirror(kInSync));
  auto events = diff({}, objects);
  ASSERT_EQ(events.size(), 4U);
  EXPECT_EQ(events[0].kind, EventKind::kCreate);
  events = diff(objects, {});
  ASSERT_EQ(events.size(), 4U);
  EXPECT_EQ(line(events[0]), "destroy resync name:m0");
  EXPECT_EQ(line(events[1]), "destroy leg name:m0 leg:1");
  EXPECT_EQ(line(events[3]), "destroy device name:m0");
}

TEST(Events, LogWritesObjects) {
  DeviceState d;
  d.name = "rec";
  d.dev = "253:1";
  d.table = {{0, 2048, "bb-log-writes", "254:16 254:32"}};
  d.status = {{0, 2048, "bb-log-writes", "43 4831 full 2473984 0 log_full 44"}};
  const auto objects = objects_of(d);
  ASSERT_EQ(objects.size(), 2U);
  EXPECT_EQ(
      line({EventKind::kChange, objects[1]}),
      "change log name:rec state:full entries:43 used:2473984 free:0 stop:log_full stop-entry:44");
  Format json{true, false};
  EXPECT_EQ(
      format_event({EventKind::kChange, objects[1]}, json, {}),
      R"({"event":"change","object":"log","name":"rec","state":"full","entries":43,"used":2473984,)"
      R"("free":0,"stop":"log_full","stop-entry":"44"})");
  EXPECT_EQ(format_event({EventKind::kExists, Object{}}, json, {}),
            R"({"event":"exists","object":null})");
  EXPECT_EQ(line({EventKind::kExists, Object{}}), "exists -");
}

TEST(Events, OtherTargetsHaveNoObjects) {
  DeviceState d;
  d.name = "lin";
  d.table = {{0, 8, "linear", "254:16 0"}};
  d.status = {{0, 8, "linear", ""}};
  EXPECT_TRUE(objects_of(d).empty());
}

TEST(Events, ABadStatusNamesDeviceAndField) {
  try {
    (void)objects_of(mirror("2 254:16 254:32 x/128 1 AA 1 core 9 idle"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "m0: status field in_sync is \"x\", not a number");
  }
  EXPECT_THROW((void)objects_of(mirror("2 254:16 254:32 1/128 1 AA 1 core 9 idle 0 0")),
               std::invalid_argument);
  EXPECT_THROW((void)objects_of(mirror("2 254:16 254:32 1/128 1 A 1 core 9 idle 0 0 0 0 AA 0 0 4")),
               std::invalid_argument);
}

TEST(Events, Timestamps) {
  const auto t = std::chrono::system_clock::from_time_t(0) + std::chrono::microseconds(1500);
  const auto text = format_event({EventKind::kExists, Object{}}, {false, true}, t);
  // 1970-01-01T..:..:00.001500+hh:mm exists -
  EXPECT_EQ(text.substr(19, 7), ".001500");
  EXPECT_EQ(text.substr(text.size() - 9), " exists -");
  EXPECT_EQ(text[29], ':');
}

}  // namespace
}  // namespace bb::bbctl
