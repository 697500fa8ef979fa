// SPDX-License-Identifier: GPL-2.0-or-later
// The disk log's byte format, its flush order and its refusals.
#include "disk/disk_log.h"

#include <gtest/gtest.h>

#include <cstring>

#include <fmt/core.h>
#include <string>
#include <vector>

#include "disk/disk_format.h"
#include "tests/errno_of.h"
#include "tests/temp_file.h"

namespace bb::dirtylog {
namespace {

using testing::TempFile;

// Remembers every write and flush, in order, over an in-memory device.
class RecordingStore final : public disk::LogStore {
 public:
  RecordingStore(std::vector<std::string>& events, size_t block_size, size_t size)
      : events_(events), block_size_(block_size), bytes_(size) {}
  [[nodiscard]] std::string name() const override { return "254:7"; }
  [[nodiscard]] size_t logical_block_size() const override { return block_size_; }
  [[nodiscard]] uint64_t size_bytes() const override { return bytes_.size(); }
  void read(std::span<std::byte> buffer) override {
    if (fail_reads) throw Error(EIO, "read failed");
    std::memcpy(buffer.data(), bytes_.data(), buffer.size());
  }
  void write(std::span<const std::byte> buffer) override {
    events_.push_back(fmt::format("write {}", buffer.size()));
    std::memcpy(bytes_.data(), buffer.data(), buffer.size());
  }
  void flush() override { events_.emplace_back("flush log"); }

  bool fail_reads = false;

 private:
  std::vector<std::string>& events_;
  size_t block_size_;
  std::vector<std::byte> bytes_;

 public:
  std::vector<std::byte>& bytes() { return bytes_; }
};

uint32_t u32_at(const std::vector<std::byte>& bytes, size_t offset) {
  uint32_t value = 0;
  for (size_t i = 4; i-- > 0;)
    value = (value << 8) | std::to_integer<uint32_t>(bytes.at(offset + i));
  return value;
}

using testing::errno_of;

// Mirror lengths, in sectors, for 64-sector regions.
constexpr uint64_t kSixteenRegions = uint64_t{16} * 64;
constexpr uint64_t kHundredRegions = uint64_t{100} * 64;

// Test constants: a failed allocation at start-up only stops the test binary.
const std::vector<std::string> kNoSync{"dev", "64", "nosync"};  // NOLINT(cert-err58-cpp)
const std::vector<std::string> kDefault{"dev", "64"};           // NOLINT(cert-err58-cpp)

TEST(DiskLog, ByteLayoutMatchesTheKernel) {
  TempFile file(4096);
  {
    DiskLog log(LogTarget{kHundredRegions, {}},
                std::vector<std::string>{file.path(), "64", "nosync"});
    log.resume();
    log.mark_region(1);
    log.mark_region(66);
    log.flush();
  }
  const auto bytes = file.contents();
  EXPECT_EQ(u32_at(bytes, 0), 0x4D695272U);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes.data()), 4), "rRiM");  // NOLINT
  EXPECT_EQ(u32_at(bytes, 4), 2U);
  EXPECT_EQ(u32_at(bytes, 8), 100U);
  EXPECT_EQ(u32_at(bytes, 12), 0U);
  // 100 regions: bits 0..99 set except 1 and 66; bits 100..127 zero.
  EXPECT_EQ(bytes[1024], std::byte{0xFD});
  EXPECT_EQ(bytes[1024 + 8], std::byte{0xFB});
  EXPECT_EQ(bytes[1024 + 12], std::byte{0x0F});
  EXPECT_EQ(bytes[1024 + 13], std::byte{0x00});
  for (size_t i = 16; i < 1024; ++i) ASSERT_EQ(bytes[i], std::byte{0}) << i;
}

TEST(DiskLog, BufferRoundedToLogicalBlockSize) {
  std::vector<std::string> events;
  auto store = std::make_unique<RecordingStore>(events, 4096, 8192);
  DiskLog log(LogTarget{kHundredRegions, {}}, kNoSync, std::move(store));
  log.resume();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "write 4096");
  EXPECT_EQ(disk::buffer_size(100, 512), 1536U);
  EXPECT_EQ(disk::buffer_size(uint64_t{8192} * 8, 512), 1024U + 8192U);
}

TEST(DiskLog, TooSmallDeviceIsRefused) {
  std::vector<std::string> events;
  auto store = std::make_unique<RecordingStore>(events, 512, 1024);
  EXPECT_EQ(errno_of([&] {
              DiskLog(LogTarget{kHundredRegions, {}}, kNoSync, std::move(store));
            }),
            EINVAL);
}

TEST(DiskLog, FlushOrderFollowsTheKernel) {
  std::vector<std::string> events;
  auto store = std::make_unique<RecordingStore>(events, 512, 4096);
  DiskLog log(LogTarget{kSixteenRegions, [&] { events.emplace_back("flush legs"); }}, kNoSync,
              std::move(store));
  log.resume();
  events.clear();

  log.flush();
  EXPECT_TRUE(events.empty()) << "nothing changed, nothing written";

  log.mark_region(1);
  log.flush();
  EXPECT_EQ(events, (std::vector<std::string>{"write 1536", "flush log"}));

  events.clear();
  log.clear_region(1);
  log.flush();
  EXPECT_EQ(events, (std::vector<std::string>{"flush legs", "write 1536"}));

  events.clear();
  log.clear_region(1);
  log.mark_region(2);
  log.flush();
  EXPECT_EQ(events, (std::vector<std::string>{"flush legs", "write 1536", "flush log"}));
}

TEST(DiskLog, FailedLegFlushRecordsEverythingDirty) {
  std::vector<std::string> events;
  auto store = std::make_unique<RecordingStore>(events, 512, 4096);
  auto* raw = store.get();
  DiskLog log(LogTarget{kSixteenRegions, [] { throw Error(EIO, "leg flush failed"); }}, kNoSync,
              std::move(store));
  log.resume();
  log.mark_region(1);
  log.flush();
  log.clear_region(1);
  log.flush();
  EXPECT_EQ(raw->bytes()[1024], std::byte{0});
  EXPECT_EQ(raw->bytes()[1025], std::byte{0});
  log.clear_region(3);  // never clean again after a failed leg flush
  EXPECT_FALSE(log.is_clean(3));
}

TEST(DiskLog, ResumeReadsPersistedDirtyBits) {
  TempFile file(4096);
  {
    DiskLog log(LogTarget{kSixteenRegions, {}},
                std::vector<std::string>{file.path(), "64", "nosync"});
    log.resume();
    log.mark_region(4);
    log.mark_region(5);
    log.flush();  // a crash here: regions 4 and 5 may differ
  }
  DiskLog log(LogTarget{kSixteenRegions, {}}, std::vector<std::string>{file.path(), "64"});
  log.resume();
  EXPECT_EQ(log.get_sync_count(), 14U);
  EXPECT_EQ(log.get_resync_work(), region_t{4});
  EXPECT_EQ(log.get_resync_work(), region_t{5});
  EXPECT_FALSE(log.get_resync_work());
}

TEST(DiskLog, BlankDeviceStartsAFreshLogOutOfSync) {
  TempFile file(4096);
  DiskLog log(LogTarget{kSixteenRegions, {}}, std::vector<std::string>{file.path(), "64"});
  log.resume();
  EXPECT_EQ(log.get_sync_count(), 0U);
  EXPECT_EQ(u32_at(file.contents(), 0), disk::kMagic);
}

TEST(DiskLog, HostEndianVersionOneIsAccepted) {
  TempFile file(4096);
  auto bytes = file.contents();
  disk::encode_header({disk::kMagic, 1, 16}, bytes);
  bytes[1024] = std::byte{0xFF};
  bytes[1025] = std::byte{0x7F};
  file.write(bytes);
  DiskLog log(LogTarget{kSixteenRegions, {}}, std::vector<std::string>{file.path(), "64"});
  log.resume();
  EXPECT_EQ(log.get_sync_count(), 15U);
  EXPECT_EQ(u32_at(file.contents(), 4), 2U);
}

struct Corruption {
  std::string name;
  disk::Header header;
};

void PrintTo(const Corruption& corruption, std::ostream* out) { *out << corruption.name; }

class DiskLogRefuses : public ::testing::TestWithParam<Corruption> {};

TEST_P(DiskLogRefuses, WithoutRewritingTheLog) {
  TempFile file(4096);
  auto bytes = file.contents();
  disk::encode_header(GetParam().header, bytes);
  bytes[1024] = std::byte{0x0F};
  bytes[2000] = std::byte{0xAB};
  file.write(bytes);
  DiskLog log(LogTarget{kSixteenRegions, {}}, std::vector<std::string>{file.path(), "64"});
  EXPECT_EQ(errno_of([&] { log.resume(); }), EINVAL);
  // Everything is out of sync and nothing may be written.
  EXPECT_EQ(log.get_sync_count(), 0U);
  log.mark_region(1);
  EXPECT_EQ(errno_of([&] { log.flush(); }), EIO);
  EXPECT_EQ(errno_of([&] { log.postsuspend(); }), EIO);
  EXPECT_EQ(file.contents(), bytes);
  EXPECT_EQ(log.status(StatusType::kInfo), "3 disk " + file.path() + " D");
}

INSTANTIATE_TEST_SUITE_P(BadLogs, DiskLogRefuses,
                         ::testing::Values(Corruption{"BadMagic", {0x64697274, 2, 16}},
                                           Corruption{"BadVersion", {disk::kMagic, 3, 16}},
                                           Corruption{"VersionZero", {disk::kMagic, 0, 16}},
                                           Corruption{"RegionCountMismatch", {disk::kMagic, 2, 17}},
                                           Corruption{"MagicOnly", {disk::kMagic, 2, 0}}),
                         [](const auto& info) { return info.param.name; });

TEST(DiskLog, ReadErrorMeansAllOutOfSync) {
  std::vector<std::string> events;
  auto store = std::make_unique<RecordingStore>(events, 512, 4096);
  store->fail_reads = true;
  DiskLog log(LogTarget{kSixteenRegions, {}}, kNoSync, std::move(store));
  EXPECT_EQ(errno_of([&] { log.resume(); }), EIO);
  EXPECT_EQ(log.get_sync_count(), 0U);
  EXPECT_TRUE(events.empty());
}

TEST(DiskLog, ExplicitSyncModesStartFresh) {
  TempFile file(4096);
  auto bytes = file.contents();
  disk::encode_header({0x12345678, 9, 99}, bytes);
  file.write(bytes);
  DiskLog log(LogTarget{kSixteenRegions, {}}, std::vector<std::string>{file.path(), "64", "sync"});
  log.resume();
  EXPECT_EQ(log.get_sync_count(), 0U);
  EXPECT_EQ(u32_at(file.contents(), 0), disk::kMagic);
}

TEST(DiskLog, StatusStrings) {
  std::vector<std::string> events;
  DiskLog log(LogTarget{kSixteenRegions, {}}, kNoSync,
              std::make_unique<RecordingStore>(events, 512, 4096));
  log.resume();
  EXPECT_EQ(log.status(StatusType::kInfo), "3 disk 254:7 A");
  EXPECT_EQ(log.status(StatusType::kTable), "disk 3 254:7 64 nosync ");
  DiskLog plain(LogTarget{kSixteenRegions, {}}, kDefault,
                std::make_unique<RecordingStore>(events, 512, 4096));
  EXPECT_EQ(plain.status(StatusType::kTable), "disk 2 254:7 64 ");
}

}  // namespace
}  // namespace bb::dirtylog
