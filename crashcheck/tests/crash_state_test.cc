// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/crash_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "crashcheck/view_file.h"
#include "format/log_format.h"
#include "test_log.h"

namespace bb::crashcheck {
namespace {
using testing::block;
using testing::MemoryLog;
namespace lw = bb::logwrites;

// 0 w0  1 FLUSH  2 w(8)  3 w(16)  4 w(24)  5 discard(32,8)  6 FLUSH  7 FUA w(40)
class Epochs : public ::testing::Test {
 protected:
  void SetUp() override {
    log.writer.write(0, block(1));
    log.writer.flush();
    log.writer.write(8, block(2));
    log.writer.write(16, block(3));
    log.writer.write(24, block(4));
    log.writer.discard(32, 8);
    log.writer.flush();
    log.writer.write(40, block(5), lw::kFlagFua);
    index = log.index();
  }
  MemoryLog log;
  lw::LogIndex index;
};

TEST_F(Epochs, AFlushPointLosesThePlainWritesSinceThePreviousFlush) {
  Epoch e = epoch_of(index, 6);
  ASSERT_TRUE(e.base.has_value());
  EXPECT_EQ(*e.base, 1u);
  EXPECT_EQ(e.entries, (std::vector<uint64_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(e.unflushed, (std::vector<uint64_t>{2, 3, 4, 5}));
}

TEST_F(Epochs, AFuaWriteIsDurableAndFirstEpochStartsOnTheEmptyDisk) {
  Epoch fua = epoch_of(index, 7);
  EXPECT_EQ(*fua.base, 6u);
  EXPECT_TRUE(fua.unflushed.empty());
  Epoch first = epoch_of(index, 0);
  EXPECT_FALSE(first.base.has_value());
  EXPECT_EQ(first.unflushed, (std::vector<uint64_t>{0}));
}

TEST_F(Epochs, DropUpToKEnumeratesEverySubsetOnce) {
  bool capped = false;
  BeyondOptions o;
  o.drop_up_to = 2;
  auto v = enumerate_variants(epoch_of(index, 6), index, o, &capped);
  EXPECT_FALSE(capped);
  EXPECT_EQ(v.size(), 4u + 6u);  // C(4,1) + C(4,2)
  EXPECT_EQ(v[0].dropped, (std::vector<uint64_t>{2}));
  EXPECT_EQ(v[4].dropped, (std::vector<uint64_t>{2, 3}));
  o.max_states_per_point = 5;
  EXPECT_EQ(enumerate_variants(epoch_of(index, 6), index, o, &capped).size(), 5u);
  EXPECT_TRUE(capped);
}

TEST_F(Epochs, RandomSubsetsAreReproducibleFromTheSeed) {
  bool capped = false;
  BeyondOptions o;
  o.random_subsets = 8;
  o.seed = 42;
  auto a = enumerate_variants(epoch_of(index, 6), index, o, &capped);
  auto b = enumerate_variants(epoch_of(index, 6), index, o, &capped);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.empty());
  for (const StateVariant& v : a) EXPECT_FALSE(v.dropped.empty());
}

TEST_F(Epochs, TornWritesLandASectorAlignedPrefix) {
  bool capped = false;
  BeyondOptions o;
  o.torn = true;
  auto v = enumerate_variants(epoch_of(index, 6), index, o, &capped);
  EXPECT_EQ(v.size(), 3u * 7u);  // three 8-sector plain writes, tears after 1..7 sectors
  EXPECT_EQ(v[0].torn, (TornWrite{2, 1}));
  // The FUA write at a FUA point may tear too (a crash during it).
  EXPECT_EQ(enumerate_variants(epoch_of(index, 7), index, o, &capped).size(), 7u);
  EXPECT_EQ(v[0].describe(), "torn 2 after 1 sectors");
}

TEST(StateHash, DroppingAnOverwrittenWriteLeavesTheSameState) {
  MemoryLog log;
  log.writer.flush();              // 0
  log.writer.write(8, block(7));   // 1
  log.writer.write(8, block(9));   // 2 overwrites 1
  log.writer.write(16, block(7));  // 3
  log.writer.flush();              // 4
  lw::LogIndex index = log.index();
  StateHasher h(*log.source, index);
  Epoch e = epoch_of(index, 4);
  auto prefix = h.hash(e, {});
  EXPECT_EQ(h.hash(e, StateVariant{{1}, {}}), prefix);
  EXPECT_NE(h.hash(e, StateVariant{{2}, {}}), prefix);
  EXPECT_NE(h.hash(e, StateVariant{{3}, {}}), prefix);
  EXPECT_NE(h.hash(e, StateVariant{{}, TornWrite{2, 4}}), prefix);
}

TEST_F(Epochs, PrefixHashesAgreeWithVariantHashesAtEveryEntry) {
  StateHasher walked(*log.source, index);
  for (uint64_t point = 0; point < index.size(); ++point) {
    StateHasher fresh(*log.source, index);
    EXPECT_EQ(walked.prefix_hash(point), fresh.hash(epoch_of(index, point), {}))
        << "entry " << point;
  }
  // Also when points skip whole epochs (the hasher starts at the last FLUSH).
  StateHasher skipping(*log.source, index);
  EXPECT_EQ(skipping.prefix_hash(7), StateHasher(*log.source, index).hash(epoch_of(index, 7), {}));
  EXPECT_ANY_THROW(skipping.prefix_hash(3));
}

TEST(StateHash, APrefixRewritingWhatTheDiskHeldMatchesTheEarlierPrefix) {
  MemoryLog log;
  log.writer.flush();                           // 0
  log.writer.write(0, block(1), lw::kFlagFua);  // 1
  log.writer.write(0, block(2), lw::kFlagFua);  // 2
  log.writer.write(0, block(1), lw::kFlagFua);  // 3: as after 1
  log.writer.write(8, block(1), lw::kFlagFua);  // 4
  log.writer.flush();                           // 5
  log.writer.write(0, block(1), lw::kFlagFua);  // 6: same bytes as 4, but another epoch
  lw::LogIndex index = log.index();
  StateHasher h(*log.source, index);
  std::vector<std::optional<uint64_t>> at;
  for (uint64_t p = 0; p < index.size(); ++p) at.push_back(h.prefix_hash(p));
  EXPECT_EQ(at[3], at[1]);
  EXPECT_NE(at[2], at[1]);
  EXPECT_NE(at[4], at[1]);
  EXPECT_NE(at[6], at[4]);  // hashes cover the epoch only: never equal across epochs
}

TEST(ApplyVariant, BuildsTheStateOnTheEpochBase) {
  MemoryLog log;
  log.writer.flush();              // 0
  log.writer.write(0, block(1));   // 1
  log.writer.write(8, block(2));   // 2
  log.writer.write(16, block(3));  // 3
  log.writer.flush();              // 4
  lw::LogIndex index = log.index();
  testing::TempDir dir;
  std::string img = dir.path() + "/state.img";
  create_image(img, 1 << 20);
  apply_variant(img, *log.source, index, epoch_of(index, 4), StateVariant{{2}, TornWrite{3, 2}});
  std::vector<uint8_t> got(size_t{3} * 4096);
  int fd = open(img.c_str(), O_RDONLY);
  ASSERT_EQ(pread(fd, got.data(), got.size(), 0), static_cast<ssize_t>(got.size()));
  close(fd);
  EXPECT_EQ(got[0], 1);
  EXPECT_EQ(got[4096], 0);  // dropped
  EXPECT_EQ(got[8192], 3);  // torn: the first two sectors landed
  EXPECT_EQ(got[8192 + 1023], 3);
  EXPECT_EQ(got[8192 + 1024], 0);
}

}  // namespace
}  // namespace bb::crashcheck
