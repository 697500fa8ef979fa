// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's request handling: every request type, and every way a
// request can be malformed, answered with -EINVAL and never a crash.
#include "daemon/request_handler.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/loopback_transport.h"
#include "tests/temp_file.h"

#include <fmt/core.h>

namespace bb::dirtylog {
namespace {

using testing::TempFile;

class RequestHandlerTest : public ::testing::Test {
 protected:
  ulog::Request call(ulog::RequestType type, std::vector<std::byte> data = {}, uint64_t luid = 7) {
    return call_raw(static_cast<uint32_t>(type), std::move(data), luid);
  }
  ulog::Request call_raw(uint32_t type, std::vector<std::byte> data = {}, uint64_t luid = 7) {
    ulog::Request request;
    request.uuid = "LVM-test-uuid";
    request.luid = luid;
    request.seq = ++seq_;
    request.request_type = type;
    request.data = std::move(data);
    auto reply = ulog::decode(handler_->handle(ulog::encode(request)));
    EXPECT_EQ(reply.seq, request.seq);
    return reply;
  }
  void construct(const std::string& ctr) {
    ASSERT_EQ(call(ulog::RequestType::kCtr, ulog::pack_string(ctr)).error, 0);
  }
  static std::vector<std::byte> u64s(std::initializer_list<uint64_t> values) {
    return ulog::pack_u64(std::span(values.begin(), values.size()));
  }

  std::vector<std::string> lines_;
  // A crash: the old handler goes away without flushing anything.
  void restart() { handler_ = std::make_unique<RequestHandler>(); }

  std::unique_ptr<RequestHandler> handler_ = std::make_unique<RequestHandler>(
      [this](oplog::Level /*level*/, std::string_view line) { lines_.emplace_back(line); });
  uint32_t seq_ = 0;
};

TEST_F(RequestHandlerTest, ServesACoreLog) {
  construct("1024 core 64 nosync");
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetRegionSize).data)[0], 64U);
  EXPECT_EQ(call(ulog::RequestType::kResume).error, 0);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetSyncCount).data)[0], 16U);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kInSync, u64s({3})).data)[0], 1U);
  EXPECT_EQ(call(ulog::RequestType::kMarkRegion, u64s({3, 4})).error, 0);
  EXPECT_EQ(call(ulog::RequestType::kFlush).error, 0);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kIsClean, u64s({3})).data)[0], 0U);
  EXPECT_EQ(call(ulog::RequestType::kClearRegion, u64s({3})).error, 0);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kIsClean, u64s({3})).data)[0], 1U);
  EXPECT_EQ(call(ulog::RequestType::kSetRegionSync, u64s({5, 0})).error, 0);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetResyncWork).data),
            (std::vector<uint64_t>{1, 5}));
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kIsRemoteRecovering, u64s({5})).data),
            (std::vector<uint64_t>{0, 15}));
  EXPECT_EQ(call(ulog::RequestType::kSetRegionSync, u64s({5, 1})).error, 0);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kIsRemoteRecovering, u64s({5})).data),
            (std::vector<uint64_t>{0, 15}));
  EXPECT_EQ(ulog::unpack_string(call(ulog::RequestType::kStatusInfo).data), "1 core");
  EXPECT_EQ(ulog::unpack_string(call(ulog::RequestType::kStatusTable).data), "core 2 64 nosync ");
  EXPECT_EQ(call(ulog::RequestType::kPresuspend).error, 0);
  EXPECT_EQ(call(ulog::RequestType::kPostsuspend).error, 0);
  EXPECT_EQ(call(ulog::RequestType::kDtr).error, 0);
  EXPECT_EQ(handler_->log_count(), 0U);
}

// The operation log's shape (docs/operation-log.md): commands as numbered
// pairs, state changes with their cause, failures rate limited.
TEST_F(RequestHandlerTest, LogLinesTellTheStory) {
  construct("1024 core 64");
  call(ulog::RequestType::kResume);
  for (uint64_t r = 0; r < 16; ++r) call(ulog::RequestType::kSetRegionSync, u64s({r, 1}));
  call(ulog::RequestType::kPresuspend);
  call(ulog::RequestType::kPostsuspend);
  call(ulog::RequestType::kDtr);
  std::vector<std::string> shape;
  for (auto line : lines_) {
    // Times vary: "(seq N, M ms)" -> "(seq N)".
    const auto ms = line.find(" ms)");
    if (ms != std::string::npos) line.erase(line.rfind(", ", ms), ms + 3 - line.rfind(", ", ms));
    shape.push_back(line);
  }
  // NOLINTBEGIN(bugprone-suspicious-missing-comma): long lines split in two
  const std::vector<std::string> want = {
      "dirtylogd: ..est-uuid/7 [CMD:1] ctr received (seq 1)",
      "dirtylogd: ..est-uuid/7 [STATE:310] log( none -> created ) [DM_ULOG_CTR] core log: 16 "
      "regions of 64 sectors, 0 in sync (1024 core 64)",
      "dirtylogd: ..est-uuid/7 [CMD:2] ctr done: 0 (seq 1)",
      "dirtylogd: ..est-uuid/7 [CMD:1] resume received (seq 2)",
      "dirtylogd: ..est-uuid/7 [STATE:312] log( created -> resumed ) [DM_ULOG_RESUME] 0/16 regions "
      "in sync",
      "dirtylogd: ..est-uuid/7 [CMD:2] resume done: 0 (seq 2)",
      "dirtylogd: ..est-uuid/7 [STATE:315] sync( recovering -> in-sync ) [DM_ULOG_SET_REGION_SYNC] "
      "16/16 regions",
      "dirtylogd: ..est-uuid/7 [CMD:1] presuspend received (seq 3)",
      "dirtylogd: ..est-uuid/7 [CMD:2] presuspend done: 0 (seq 3)",
      "dirtylogd: ..est-uuid/7 [CMD:1] postsuspend received (seq 4)",
      "dirtylogd: ..est-uuid/7 [STATE:313] log( resumed -> suspended ) [DM_ULOG_POSTSUSPEND]",
      "dirtylogd: ..est-uuid/7 [CMD:2] postsuspend done: 0 (seq 4)",
      "dirtylogd: ..est-uuid/7 [CMD:1] dtr received (seq 5)",
      "dirtylogd: ..est-uuid/7 [STATE:314] log( suspended -> destroyed ) [DM_ULOG_DTR]",
      "dirtylogd: ..est-uuid/7 [CMD:2] dtr done: 0 (seq 5)",
  };
  // NOLINTEND(bugprone-suspicious-missing-comma)
  EXPECT_EQ(shape, want);
}

TEST_F(RequestHandlerTest, FailuresAreSaidOnceEachUpToTheRateLimit) {
  EXPECT_EQ(call(ulog::RequestType::kCtr, ulog::pack_string("1024 bogus 64")).error, -EINVAL);
  ASSERT_EQ(lines_.size(), 2U);
  EXPECT_NE(lines_[1].find("[CMD:4] ctr done: -22 (seq 1, "), std::string::npos) << lines_[1];
  EXPECT_NE(lines_[1].find(" ms): "), std::string::npos) << lines_[1];
  lines_.clear();
  for (int i = 0; i < 30; i++) call(ulog::RequestType::kFlush);  // no such log: ESRCH
  EXPECT_EQ(lines_.size(), 10U);
  EXPECT_NE(lines_[0].find("[ULOG:320] DM_ULOG_FLUSH failed: no log ..est-uuid/7 here"),
            std::string::npos)
      << lines_[0];
}

TEST_F(RequestHandlerTest, ConstructorStringWithOrWithoutNul) {
  auto unterminated = ulog::pack_string("1024 core 64");
  unterminated.pop_back();
  EXPECT_EQ(call(ulog::RequestType::kCtr, unterminated).error, 0);
  EXPECT_EQ(call(ulog::RequestType::kCtr, ulog::pack_string("1024 core 64"), 9).error, 0);
  EXPECT_EQ(handler_->log_count(), 2U);
}

TEST_F(RequestHandlerTest, LogsAreKeyedByUuidAndLuid) {
  construct("1024 core 64 nosync");
  ASSERT_EQ(call(ulog::RequestType::kCtr, ulog::pack_string("2048 core 128"), 8).error, 0);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetRegionSize, {}, 8).data)[0], 128U);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetRegionSize, {}, 7).data)[0], 64U);
  EXPECT_EQ(handler_->log_count(), 2U);
}

TEST_F(RequestHandlerTest, UnknownLogIsEsrchSoTheKernelReconstructs) {
  EXPECT_EQ(call(ulog::RequestType::kFlush).error, -ESRCH);
  // Sized like the real answer, so the kernel's retry keeps its buffer size.
  const auto in_sync = call(ulog::RequestType::kInSync, u64s({1}));
  EXPECT_EQ(in_sync.error, -ESRCH);
  EXPECT_EQ(in_sync.data.size(), 8U);
  EXPECT_EQ(call(ulog::RequestType::kGetResyncWork).data.size(), 16U);
  EXPECT_TRUE(call(ulog::RequestType::kFlush).data.empty());
  EXPECT_EQ(call(ulog::RequestType::kDtr).error, 0);
}

TEST_F(RequestHandlerTest, MalformedRequestsAreEinval) {
  construct("1024 core 64");
  EXPECT_EQ(call_raw(0).error, -EINVAL);
  EXPECT_EQ(call_raw(18).error, -EINVAL);
  EXPECT_EQ(call_raw(0xFF).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kIsClean, std::vector<std::byte>(4)).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kInSync).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kInSync, u64s({1, 2})).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kSetRegionSync, u64s({1})).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kMarkRegion, std::vector<std::byte>(12)).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kGetResyncWork, u64s({1})).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kIsClean, u64s({16})).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kMarkRegion, u64s({1, 99})).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kIsRemoteRecovering, u64s({16})).error, -EINVAL);
  // The log still works.
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetRegionSize).data)[0], 64U);
}

TEST_F(RequestHandlerTest, BadConstructorsAreEinval) {
  for (const char* ctr : {"", "1024", "1024 mirror 64", "abc core 64", "0 core 64", "1024 core 3",
                          "1024 core 64 sometimes", "1024 disk"}) {
    EXPECT_EQ(call(ulog::RequestType::kCtr, ulog::pack_string(ctr)).error, -EINVAL) << ctr;
  }
  EXPECT_EQ(call(ulog::RequestType::kCtr, {}).error, -EINVAL);
  EXPECT_EQ(call(ulog::RequestType::kCtr, ulog::pack_string("1024 disk /nonexistent 64")).error,
            -ENOENT);
  EXPECT_EQ(handler_->log_count(), 0U);
}

TEST_F(RequestHandlerTest, InconsistentDataSizeKeepsTheSeq) {
  ulog::Request request;
  request.uuid = "u";
  request.seq = 4242;
  request.request_type = static_cast<uint32_t>(ulog::RequestType::kFlush);
  auto bytes = ulog::encode(request);
  bytes.resize(bytes.size() + 3);
  const auto reply = ulog::decode(handler_->handle(bytes));
  EXPECT_EQ(reply.seq, 4242U);
  EXPECT_EQ(reply.error, -EINVAL);
}

TEST_F(RequestHandlerTest, TruncatedMessageThrows) {
  std::vector<std::byte> bytes(100);
  EXPECT_THROW(handler_->handle(bytes), Error);
}

TEST_F(RequestHandlerTest, IntegratedFlushMarksThenFlushes) {
  TempFile file(4096);
  construct(fmt::format("1024 disk {} 64 nosync", file.path()));
  call(ulog::RequestType::kResume);
  EXPECT_EQ(call(ulog::RequestType::kFlush, u64s({2, 9})).error, 0);
  const auto bytes = file.contents();
  EXPECT_EQ(bytes[1024], std::byte{0xFB});
  EXPECT_EQ(bytes[1025], std::byte{0xFD});
}

// The daemon dies after marking; its successor is asked about a log it does
// not know, answers ESRCH, gets CTR and RESUME again (as the kernel sends
// them), and the marked regions come back out of sync.
TEST_F(RequestHandlerTest, RestartedDaemonKeepsDiskDirtyBits) {
  TempFile file(4096);
  const auto ctr = fmt::format("1024 disk {} 64", file.path());
  construct(ctr);
  call(ulog::RequestType::kResume);
  for (uint64_t r = 0; r < 16; ++r) call(ulog::RequestType::kSetRegionSync, u64s({r, 1}));
  call(ulog::RequestType::kClearRegion,
       u64s({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  call(ulog::RequestType::kMarkRegion, u64s({6, 11}));
  call(ulog::RequestType::kFlush);

  restart();
  EXPECT_EQ(call(ulog::RequestType::kInSync, u64s({6})).error, -ESRCH);
  construct(ctr);
  ASSERT_EQ(call(ulog::RequestType::kResume).error, 0);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetSyncCount).data)[0], 14U);
  // The kernel still thinks region 6 in sync and clears it when its writes
  // end; that must not survive a suspend and resume as "in sync".
  call(ulog::RequestType::kClearRegion, u64s({6}));
  call(ulog::RequestType::kFlush);
  call(ulog::RequestType::kPostsuspend);
  call(ulog::RequestType::kResume);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetSyncCount).data)[0], 14U);
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetResyncWork).data),
            (std::vector<uint64_t>{1, 6}));
  EXPECT_EQ(ulog::unpack_u64(call(ulog::RequestType::kGetResyncWork).data),
            (std::vector<uint64_t>{1, 11}));
}

}  // namespace
}  // namespace bb::dirtylog
