// SPDX-License-Identifier: GPL-2.0-or-later
// One suite for every dirty log: core, disk (on an image file), and the
// userspace client talking to the daemon's request handler (in process),
// which serves a core or a disk log. Each must behave like the kernel's
// log of the same name.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dirty_log.h"
#include "tests/errno_of.h"
#include "tests/loopback_transport.h"
#include "tests/temp_file.h"

namespace bb::dirtylog {
namespace {

using testing::LoopbackTransport;
using testing::TempFile;

// Builds logs of one kind from "<region_size> [sync|nosync]".
class LogKind {
 public:
  LogKind() = default;
  LogKind(const LogKind&) = delete;
  LogKind& operator=(const LogKind&) = delete;
  LogKind(LogKind&&) = delete;
  LogKind& operator=(LogKind&&) = delete;
  virtual ~LogKind() = default;
  virtual std::unique_ptr<DirtyLog> make(uint64_t length, std::vector<std::string> params) = 0;
  virtual std::string info_prefix() = 0;
  virtual bool persistent() = 0;
};

class CoreKind final : public LogKind {
 public:
  std::unique_ptr<DirtyLog> make(uint64_t length, std::vector<std::string> params) override {
    auto log = create_log("core", LogTarget{length, {}}, params);
    log->resume();
    return log;
  }
  std::string info_prefix() override { return "1 core"; }
  bool persistent() override { return false; }
};

class DiskKind final : public LogKind {
 public:
  std::unique_ptr<DirtyLog> make(uint64_t length, std::vector<std::string> params) override {
    params.insert(params.begin(), file_.path());
    auto log = create_log("disk", LogTarget{length, {}}, params);
    log->resume();
    return log;
  }
  std::string info_prefix() override { return "3 disk " + file_.path() + " A"; }
  bool persistent() override { return true; }

 private:
  TempFile file_{1 << 20};
};

class UserspaceKind final : public LogKind {
 public:
  explicit UserspaceKind(bool disk) : disk_(disk) {}
  std::unique_ptr<DirtyLog> make(uint64_t length, std::vector<std::string> params) override {
    params.insert(params.begin(), disk_ ? "disk" : "core");
    if (disk_) params.insert(params.begin() + 1, file_.path());
    params.insert(params.begin(), "LVM-conformance-uuid");
    auto log = std::make_unique<UserspaceLog>(LogTarget{length, {}}, params, transport_);
    log->resume();
    return log;
  }
  std::string info_prefix() override { return disk_ ? "3 disk " + file_.path() + " A" : "1 core"; }
  bool persistent() override { return disk_; }

 private:
  bool disk_;
  TempFile file_{1 << 20};
  std::shared_ptr<RequestHandler> handler_ = std::make_shared<RequestHandler>();
  std::shared_ptr<LoopbackTransport> transport_ = std::make_shared<LoopbackTransport>(handler_);
};

class Conformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto& name = GetParam();
    if (name == "core") kind_ = std::make_unique<CoreKind>();
    if (name == "disk") kind_ = std::make_unique<DiskKind>();
    if (name == "userspace_core") kind_ = std::make_unique<UserspaceKind>(false);
    if (name == "userspace_disk") kind_ = std::make_unique<UserspaceKind>(true);
    ASSERT_TRUE(kind_);
  }
  std::unique_ptr<LogKind> kind_;
};

using testing::errno_of;

TEST_P(Conformance, RegionGeometry) {
  auto log = kind_->make(1000, {"64"});
  EXPECT_EQ(log->region_size(), 64U);
  EXPECT_EQ(log->region_count(), 16U);
}

TEST_P(Conformance, DefaultModeResyncsEverythingInOrder) {
  auto log = kind_->make(1024, {"64"});
  EXPECT_EQ(log->get_sync_count(), 0U);
  EXPECT_EQ(log->in_sync(5, true), InSync::kNo);
  for (region_t expected = 0; expected < 16; ++expected) {
    const auto work = log->get_resync_work();
    ASSERT_TRUE(work);
    EXPECT_EQ(*work, expected);
    log->set_region_sync(*work, true);
  }
  EXPECT_FALSE(log->get_resync_work());
  EXPECT_EQ(log->get_sync_count(), 16U);
  EXPECT_EQ(log->in_sync(5, true), InSync::kYes);
}

TEST_P(Conformance, NosyncStartsInSync) {
  auto log = kind_->make(1024, {"64", "nosync"});
  EXPECT_EQ(log->get_sync_count(), 16U);
  EXPECT_FALSE(log->get_resync_work());
  EXPECT_TRUE(log->is_clean(0));
}

TEST_P(Conformance, ForcedSyncStartsOutOfSync) {
  auto log = kind_->make(1024, {"64", "sync"});
  EXPECT_EQ(log->get_sync_count(), 0U);
  EXPECT_EQ(log->get_resync_work(), region_t{0});
}

TEST_P(Conformance, MarkAndClear) {
  auto log = kind_->make(1024, {"64", "nosync"});
  log->mark_region(3);
  log->mark_region(7);
  log->flush();
  EXPECT_FALSE(log->is_clean(3));
  EXPECT_FALSE(log->is_clean(7));
  EXPECT_TRUE(log->is_clean(4));
  log->clear_region(3);
  log->flush();
  EXPECT_TRUE(log->is_clean(3));
  EXPECT_FALSE(log->is_clean(7));
  // Marking says nothing about sync: the legs still agree.
  EXPECT_EQ(log->get_sync_count(), 16U);
}

TEST_P(Conformance, RecoveringRegionsAreNotHandedOutTwice) {
  auto log = kind_->make(256, {"64"});
  EXPECT_EQ(log->get_resync_work(), region_t{0});
  EXPECT_EQ(log->get_resync_work(), region_t{1});
  log->set_region_sync(0, true);
  log->set_region_sync(1, false);  // a failed recovery
  EXPECT_EQ(log->get_sync_count(), 1U);
  EXPECT_EQ(log->get_resync_work(), region_t{2});
}

TEST_P(Conformance, RegionMarkedOutOfSyncIsResynced) {
  auto log = kind_->make(1024, {"64", "nosync"});
  log->set_region_sync(9, false);
  EXPECT_EQ(log->get_sync_count(), 15U);
  EXPECT_EQ(log->in_sync(9, true), InSync::kNo);
  EXPECT_EQ(log->get_resync_work(), region_t{9});
  log->set_region_sync(9, true);
  log->set_region_sync(9, true);  // repeated reports must not over-count
  EXPECT_EQ(log->get_sync_count(), 16U);
}

// The kernel's recovery clears a region and then reports it in sync; a
// clear of a region still out of sync must not make it look in sync.
TEST_P(Conformance, OutOfSyncRegionIsCleanOnlyAfterRecovery) {
  auto log = kind_->make(1024, {"64", "nosync"});
  log->set_region_sync(4, false);
  log->mark_region(4);
  log->flush();
  log->clear_region(4);
  log->flush();
  EXPECT_FALSE(log->is_clean(4));
  EXPECT_EQ(log->get_resync_work(), region_t{4});
  log->set_region_sync(4, true);
  log->flush();
  EXPECT_TRUE(log->is_clean(4));
  EXPECT_EQ(log->get_sync_count(), 16U);
}

TEST_P(Conformance, RegionOutOfRangeIsEinval) {
  auto log = kind_->make(1024, {"64"});
  EXPECT_EQ(errno_of([&] { log->is_clean(16); }), EINVAL);
  EXPECT_EQ(errno_of([&] { log->in_sync(99, true); }), EINVAL);
  EXPECT_EQ(errno_of([&] { log->set_region_sync(16, true); }), EINVAL);
}

TEST_P(Conformance, StatusInfo) {
  auto log = kind_->make(1024, {"64"});
  EXPECT_EQ(log->status(StatusType::kInfo), kind_->info_prefix());
}

TEST_P(Conformance, SuspendResumeCycle) {
  auto log = kind_->make(1024, {"64", "nosync"});
  log->mark_region(2);
  log->flush();
  log->presuspend();
  log->postsuspend();
  log->resume();
  // A persistent log reads back its dirty bit: region 2 may differ between
  // the legs, so it is out of sync now. A core log keeps its memory.
  if (kind_->persistent()) {
    // nosync restarts a fresh, all-clean log at every resume, as the
    // kernel does; use the default mode to see the bit survive.
    auto durable = kind_->make(1024, {"64"});
    for (region_t r = 0; r < 16; ++r) durable->set_region_sync(r, true);
    durable->mark_region(2);
    durable->flush();
    durable->postsuspend();
    durable->resume();
    EXPECT_EQ(durable->get_sync_count(), 15U);
    EXPECT_EQ(durable->in_sync(2, true), InSync::kNo);
    EXPECT_FALSE(durable->is_clean(2));
  } else {
    EXPECT_FALSE(log->is_clean(2));
    EXPECT_EQ(log->get_sync_count(), 16U);
  }
}

TEST_P(Conformance, BadParametersAreEinval) {
  for (const std::vector<std::string>& params :
       std::vector<std::vector<std::string>>{{"3"},
                                             {"1000"},
                                             {"0"},
                                             {"abc"},
                                             {"64", "fastsync"},
                                             {"2048"},
                                             {"64", "nosync", "extra"}}) {
    EXPECT_EQ(errno_of([&] { kind_->make(1024, params); }), EINVAL) << params[0];
  }
}

INSTANTIATE_TEST_SUITE_P(AllLogs, Conformance,
                         ::testing::Values("core", "disk", "userspace_core", "userspace_disk"),
                         [](const auto& info) { return info.param; });

TEST(DiskLogParams, MissingDeviceIsEnoent) {
  EXPECT_EQ(errno_of([] {
              (void)create_log("disk", LogTarget{1024, {}},
                               std::vector<std::string>{"/nonexistent/log", "64"});
            }),
            ENOENT);
}

TEST(LogFactory, UnknownTypeIsEinval) {
  EXPECT_EQ(errno_of([] {
              (void)create_log("mirrored", LogTarget{1024, {}}, std::vector<std::string>{"64"});
            }),
            EINVAL);
}

TEST(UserspaceLogParams, MissingDeviceComesBackFromTheDaemon) {
  auto handler = std::make_shared<RequestHandler>();
  auto transport = std::make_shared<LoopbackTransport>(handler);
  const std::vector<std::string> params{"uuid-1", "disk", "/nonexistent/log", "64"};
  EXPECT_EQ(errno_of([&] { UserspaceLog(LogTarget{1024, {}}, params, transport); }), ENOENT);
  EXPECT_EQ(handler->log_count(), 0U);
}

TEST(UserspaceLogParams, TooFewParametersOrLongUuid) {
  auto transport = std::make_shared<LoopbackTransport>(std::make_shared<RequestHandler>());
  EXPECT_EQ(errno_of([&] {
              UserspaceLog(LogTarget{1024, {}}, std::vector<std::string>{"u", "core"}, transport);
            }),
            EINVAL);
  const std::vector<std::string> params{std::string(129, 'u'), "core", "64"};
  EXPECT_EQ(errno_of([&] { UserspaceLog(LogTarget{1024, {}}, params, transport); }), EINVAL);
  EXPECT_EQ(transport->exchanges, 0);
}

TEST(UserspaceLog, WouldBlockWhenItMayNot) {
  auto transport = std::make_shared<LoopbackTransport>(std::make_shared<RequestHandler>());
  UserspaceLog log(LogTarget{1024, {}}, std::vector<std::string>{"u", "core", "64"}, transport);
  const int before = transport->exchanges;
  EXPECT_EQ(log.in_sync(0, false), InSync::kWouldBlock);
  EXPECT_EQ(transport->exchanges, before);
}

TEST(UserspaceLog, BatchesMarksAndClearsUntilFlush) {
  auto transport = std::make_shared<LoopbackTransport>(std::make_shared<RequestHandler>());
  UserspaceLog log(LogTarget{1 << 20, {}}, std::vector<std::string>{"u", "core", "64", "nosync"},
                   transport);
  const int before = transport->exchanges;
  for (region_t r = 0; r < 40; ++r) log.mark_region(r);
  EXPECT_EQ(transport->exchanges, before);
  log.flush();
  // 40 marks: two MARK_REGION groups (32 + 8) and one FLUSH.
  EXPECT_EQ(transport->exchanges, before + 3);
  EXPECT_FALSE(log.is_clean(39));
}

TEST(UserspaceLog, IntegratedFlushCarriesTheMarks) {
  auto transport = std::make_shared<LoopbackTransport>(std::make_shared<RequestHandler>());
  UserspaceLog log(LogTarget{1 << 20, {}},
                   std::vector<std::string>{"u", "integrated_flush", "core", "64"}, transport);
  const int before = transport->exchanges;
  log.mark_region(5);
  log.mark_region(6);
  log.flush();
  EXPECT_EQ(transport->exchanges, before + 1);
  EXPECT_FALSE(log.is_clean(5));
  EXPECT_EQ(log.status(StatusType::kTable), "userspace 4 u integrated_flush core 64 ");
}

TEST(UserspaceLog, DestructorSendsDtr) {
  auto handler = std::make_shared<RequestHandler>();
  auto transport = std::make_shared<LoopbackTransport>(handler);
  {
    UserspaceLog log(LogTarget{1024, {}}, std::vector<std::string>{"u", "core", "64"}, transport);
    EXPECT_EQ(handler->log_count(), 1U);
  }
  EXPECT_EQ(handler->log_count(), 0U);
}

}  // namespace
}  // namespace bb::dirtylog
