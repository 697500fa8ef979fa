// SPDX-License-Identifier: GPL-2.0-or-later
// Views on real files: a view keeps the state it was taken in while the
// replay target changes, and writes to a view stay in the view. The reflink
// test makes its own XFS scratch on a loop device (needs root).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "common/file_descriptor.h"
#include "common/file_info.h"
#include "common/process.h"

#include "crashcheck/loop_device.h"
#include "crashcheck/view_copy.h"
#include "crashcheck/view_reflink.h"
#include "crashcheck/zram_device.h"
#include "engine/replay_target.h"
#include "test_log.h"

namespace bb::crashcheck {
namespace {

void put(const std::string& path, off_t offset, char c) {
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, &c, 1, offset), 1);
  fsync(fd);
  close(fd);
}

char get(const std::string& path, off_t offset) {
  int fd = open(path.c_str(), O_RDONLY);
  char c = 0;
  EXPECT_EQ(pread(fd, &c, 1, offset), 1);
  close(fd);
  return c;
}

uint64_t allocated(const std::string& path) {
  struct stat st {};
  stat(path.c_str(), &st);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

// `pooled`: destroyed views go back to the factory's pool, whose files are
// deleted with the factory.
void views_are_private(ViewFactory& f, bool pooled = false) {
  const std::string& base = f.replay_path();
  put(base, 4096, 'a');
  std::unique_ptr<View> v1 = f.take();
  put(base, 4096, 'b');
  std::unique_ptr<View> v2 = f.take();
  std::unique_ptr<View> v3 = f.clone(*v1);
  put(v1->path(), 4096, 'x');  // a check scribbling on its view
  EXPECT_EQ(get(v1->path(), 4096), 'x');
  EXPECT_EQ(get(v2->path(), 4096), 'b');
  EXPECT_EQ(get(v3->path(), 4096), 'a');
  EXPECT_EQ(get(base, 4096), 'b');
  std::string p = v2->path();
  v2.reset();
  if (!pooled) {
    EXPECT_NE(access(p.c_str(), F_OK), 0) << "a destroyed view leaves no file";
    return;
  }
  put(base, 4096, 'c');
  std::unique_ptr<View> v4 = f.take();
  EXPECT_EQ(v4->path(), p) << "the pooled file is reused";
  EXPECT_EQ(get(v4->path(), 4096), 'c');
  EXPECT_EQ(get(v3->path(), 4096), 'a');
  put(v1->path(), 4096, 'y');
  v1.reset();
  std::unique_ptr<View> v5 = f.take();  // v1's file, scribbled on
  EXPECT_EQ(get(v5->path(), 4096), 'c');
}

TEST(CopyView, ViewsArePrivateAndKeepTheirPointInTime) {
  testing::TempDir dir;
  CopyViewFactory f(dir.path() + "/replay.img", 64 << 20, dir.path());
  views_are_private(f);
}

TEST(CopyView, SparseCopyKeepsHoles) {
  testing::TempDir dir;
  std::string a = dir.path() + "/a.img";
  create_image(a, 256 << 20);
  put(a, 100 << 20, 'z');
  copy_sparse(a, dir.path() + "/b.img");
  EXPECT_EQ(get(dir.path() + "/b.img", 100 << 20), 'z');
  EXPECT_LT(allocated(dir.path() + "/b.img"), 1u << 20);
}

TEST(ReflinkView, ViewsOnALoopMountedXfsScratch) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for the loop-mounted XFS scratch";
  testing::TempDir dir;
  ReflinkScratch scratch(dir.path(), dir.path() + "/mnt", 1ULL << 30);
  EXPECT_TRUE(supports_reflink(scratch.dir()));
  std::string pooled_file;
  {
    ReflinkViewFactory f(scratch.dir() + "/replay.img", 512 << 20, scratch.dir());
    views_are_private(f, true);
    std::unique_ptr<View> v = f.take();
    pooled_file = v->path();
  }
  EXPECT_NE(access(pooled_file.c_str(), F_OK), 0) << "the factory deletes its pool";
}

// The scratch on a zram device of its own (where the kernel has zram): the
// same views; the device goes with the scratch.
TEST(ReflinkView, ViewsOnAZramXfsScratch) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for zram and mounts";
  if (access("/sys/class/zram-control/hot_add", F_OK) != 0) GTEST_SKIP() << "no zram";
  testing::TempDir dir;
  std::string device;
  {
    ZramDevice zram(1ULL << 30);
    device = "/sys/block/zram" + std::to_string(zram.id());
    ReflinkScratch scratch(std::move(zram), dir.path() + "/mnt");
    EXPECT_TRUE(supports_reflink(scratch.dir()));
    EXPECT_EQ(scratch.image(), "");
    ReflinkViewFactory f(scratch.dir() + "/replay.img", 512 << 20, scratch.dir(), true);
    views_are_private(f, true);
  }
  EXPECT_NE(access(device.c_str(), F_OK), 0) << "the zram device goes with the scratch";
}

// `n` bytes of file or device `path` from `offset`.
std::string read_device(const std::string& path, off_t offset, size_t n) {
  int fd = open(path.c_str(), O_RDONLY);
  std::string s(n, '\0');
  EXPECT_EQ(pread(fd, s.data(), n, offset), static_cast<ssize_t>(n));
  close(fd);
  return s;
}

// Whether files `a` and `b` hold the same bytes; if not, the first offset
// where they differ. Compared 1 MiB at a time in buffers kept from call to
// call: reading two 64 MiB files into fresh strings each time cost more in
// page faults than the test's own work on a slow-faulting machine.
::testing::AssertionResult same_bytes(const std::string& a, const std::string& b) {
  const uint64_t size_a = bb::common::file_size(a);
  const uint64_t size_b = bb::common::file_size(b);
  if (size_a != size_b) {
    return ::testing::AssertionFailure()
           << a << " has " << size_a << " bytes, " << b << " " << size_b;
  }
  constexpr size_t kChunk = 1 << 20;
  static std::vector<char> x(kChunk);
  static std::vector<char> y(kChunk);
  bb::common::FileDescriptor fa = bb::common::open_file(a, O_RDONLY);
  bb::common::FileDescriptor fb = bb::common::open_file(b, O_RDONLY);
  for (uint64_t at = 0; at < size_a; at += kChunk) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, size_a - at));
    const auto off = static_cast<off_t>(at);
    if (pread(fa.get(), x.data(), n, off) != static_cast<ssize_t>(n) ||
        pread(fb.get(), y.data(), n, off) != static_cast<ssize_t>(n)) {
      return ::testing::AssertionFailure() << "short read at " << at;
    }
    if (std::memcmp(x.data(), y.data(), n) != 0) {
      const auto d = std::mismatch(x.begin(), x.begin() + static_cast<long>(n), y.begin());
      return ::testing::AssertionFailure()
             << a << " and " << b << " differ from byte " << at + (d.first - x.begin());
    }
  }
  return ::testing::AssertionSuccess();
}

void write_at(const std::string& path, off_t offset, size_t n, char c) {
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  std::string s(n, c);
  ASSERT_EQ(pwrite(fd, s.data(), n, offset), static_cast<ssize_t>(n));
  close(fd);  // not synced: FIEMAP_FLAG_SYNC writes it back
}

// A pooled view brought up to date reads exactly what the image holds,
// whatever the image and the view's check wrote in between, holes included.
// `watched`: the image is written through the factory's own target, on a
// scratch, so that the factory keeps the image's map and maps again only
// where the target wrote or zeroed.
void pooled_views_read_exactly_the_image(bool watched) {
  testing::TempDir dir;
  ReflinkScratch scratch(dir.path(), dir.path() + "/mnt", 1ULL << 30);
  const uint64_t size = 64 << 20;
  ReflinkViewFactory f(scratch.dir() + "/replay.img", size, scratch.dir(), watched);
  const std::string& image = f.replay_path();
  std::unique_ptr<View> first = f.take();  // before the target: mapped whole
  std::unique_ptr<replay::ReplayTarget> target;
  if (watched) target = f.open_replay_target();
  std::mt19937_64 rng(7);
  auto offset = [&](uint64_t block) { return rng() % (size / block) * block; };
  auto write = [&](uint64_t at, size_t n, char c) {
    if (!target) return write_at(image, static_cast<off_t>(at), n, c);
    std::vector<uint8_t> bytes(n, static_cast<uint8_t>(c));
    target->write(at, bytes);
  };
  std::vector<std::unique_ptr<View>> views;
  views.push_back(std::move(first));
  for (int round = 0; round < 40; ++round) {
    // Whole blocks, sectors inside a block (the rest of a hole's block
    // gets allocated), and on the watched target a zeroed range too.
    for (int w = 0; w < 8; ++w)
      write(offset(4096), 4096 * (1 + rng() % 16), static_cast<char>('a' + round % 26));
    write(offset(512), 512 * (1 + rng() % 3), 'S');
    if (target && round % 3 == 0) target->zero(offset(1024), 1024 * (1 + rng() % 200));
    std::unique_ptr<View> v = f.take();
    ASSERT_TRUE(same_bytes(v->path(), image)) << "round " << round;
    {
      bb::common::FileDescriptor a = bb::common::open_file(image, O_RDONLY);
      bb::common::FileDescriptor b = bb::common::open_file(v->path(), O_RDONLY);
      EXPECT_TRUE(mapping_differences(file_extents(a.get()), file_extents(b.get()), size).empty());
    }
    // The check writes: blocks, and a byte range where the image has a hole.
    write_at(v->path(), static_cast<off_t>(offset(1024)), 1024 * (1 + rng() % 8), 'X');
    write_at(v->path(), static_cast<off_t>(size - 8192), 8192, 'Y');
    views.push_back(std::move(v));
    if (views.size() > 3) views.erase(views.begin() + static_cast<long>(rng() % views.size()));
  }
}

TEST(ReflinkView, PooledViewsReadExactlyTheImage) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for the loop-mounted XFS scratch";
  pooled_views_read_exactly_the_image(false);
}

TEST(ReflinkView, PooledViewsReadExactlyTheImageWhoseMapIsKept) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for the loop-mounted XFS scratch";
  pooled_views_read_exactly_the_image(true);
}

// More changed ranges between two views than the factory keeps: the image
// is mapped whole again, and the view still reads exactly the image.
TEST(ReflinkView, AKeptMapGivenUpAfterTooManyChangesStillGivesExactViews) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for the loop-mounted XFS scratch";
  testing::TempDir dir;
  ReflinkScratch scratch(dir.path(), dir.path() + "/mnt", 1ULL << 30);
  const uint64_t size = 16 << 20;
  ReflinkViewFactory f(scratch.dir() + "/replay.img", size, scratch.dir(), true);
  std::unique_ptr<replay::ReplayTarget> target = f.open_replay_target();
  std::vector<uint8_t> sector(512, 'a');
  target->write(0, sector);
  std::unique_ptr<View> v = f.take();  // a new clone
  v.reset();
  v = f.take();  // the pooled file again: the image mapped whole, the map kept
  write_at(v->path(), 4096, 4096, 'X');
  v.reset();
  for (uint64_t i = 0; i < 70000; ++i) {
    sector.assign(512, static_cast<uint8_t>('b' + i % 20));
    target->write(i % (size / 512) * 512, sector);
  }
  v = f.take();
  EXPECT_TRUE(same_bytes(v->path(), f.replay_path()));
  write_at(v->path(), 8192, 4096, 'Y');
  v.reset();
  target->write(size - 512, sector);  // a few changes again, on a new kept map
  v = f.take();
  EXPECT_TRUE(same_bytes(v->path(), f.replay_path()));
}

bool attached(const std::string& dev) {
  const std::string name = dev.substr(dev.rfind('/') + 1);
  struct stat st {};
  return stat(("/sys/block/" + name + "/loop/backing_file").c_str(), &st) == 0;
}

std::string write_cache(const std::string& dev) {
  std::ifstream in("/sys/block/" + dev.substr(dev.rfind('/') + 1) + "/queue/write_cache");
  std::string mode;
  std::getline(in, mode);
  return mode;
}

// A pooled view keeps its loop device from check to check; the device
// shows the file as the refresh left it (nothing cached from the check
// before), a buffered one is write-through while it is the view's, and all
// are detached, write-back again, with the factory.
TEST(ReflinkView, APooledViewKeepsItsLoopDeviceAndShowsTheRefreshedFile) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for the loop-mounted XFS scratch";
  testing::TempDir dir;
  ReflinkScratch scratch(dir.path(), dir.path() + "/mnt", 1ULL << 30);
  std::string dev;
  std::string buffered;
  std::string replacement;
  {
    ReflinkViewFactory f(scratch.dir() + "/replay.img", 16 << 20, scratch.dir());
    write_at(f.replay_path(), 8192, 4096, 'a');
    std::unique_ptr<View> v = f.take();
    dev = v->own_device(4096);
    EXPECT_EQ(v->own_device(4096), dev) << "asked again: the same device";
    EXPECT_EQ(read_device(dev, 8192, 1), "a");
    {  // a check writes through the device and reads it back
      bb::common::FileDescriptor fd = bb::common::open_file(dev, O_RDWR);
      std::vector<char> page(4096, 'w');
      ASSERT_EQ(pwrite(fd.get(), page.data(), page.size(), 4096), 4096);
      ASSERT_EQ(fsync(fd.get()), 0);
      EXPECT_EQ(read_device(dev, 4096, 1), "w");
    }
    const std::string path = v->path();
    v.reset();
    EXPECT_TRUE(attached(dev)) << "a pooled file keeps its device";
    write_at(f.replay_path(), 8192, 4096, 'b');
    std::unique_ptr<View> again = f.take();
    ASSERT_EQ(again->path(), path);
    EXPECT_EQ(again->own_device(4096), dev);
    EXPECT_EQ(read_device(dev, 8192, 1), "b") << "the device shows the refreshed file";
    EXPECT_EQ(read_device(dev, 4096, 1), std::string(1, '\0')) << "the check's write is gone";
    // A filesystem of 512-byte sectors: a new device, buffered (the
    // scratch's blocks are 1 KiB), write-through while it is the view's.
    buffered = again->own_device(512);
    EXPECT_EQ(read_device(buffered, 8192, 1), "b");
    EXPECT_EQ(write_cache(buffered), "write through");
    // A filesystem left on the device (a lazily unmounted one holds it
    // exclusively): the next check gets another device, and the old one
    // goes when it is let go.
    {
      bb::common::FileDescriptor holder(open(buffered.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC));
      ASSERT_TRUE(holder);
      replacement = again->own_device(512);
      EXPECT_NE(replacement, buffered);
      EXPECT_EQ(read_device(replacement, 8192, 1), "b");
    }
  }
  // Detached; a device free again may be some other process's by now (a
  // host test running beside this one): then it is on a file not ours. A
  // detach takes effect when the device's last opener lets go, and another
  // program scanning block devices may hold it for a moment: wait up to
  // two seconds.
  for (const std::string& d : {dev, buffered, replacement}) {
    std::string file;
    for (int i = 0; i < 40; ++i) {
      std::ifstream in("/sys/block/" + d.substr(d.rfind('/') + 1) + "/loop/backing_file");
      file.clear();
      std::getline(in, file);
      if (!file.starts_with(scratch.dir())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_FALSE(file.starts_with(scratch.dir())) << d << " is still on " << file;
  }
  if (!attached(buffered)) {
    EXPECT_EQ(write_cache(buffered), "write back");
  }
}

// A pooled file that cannot be brought up to date (here: cut short) is
// replaced by a new clone, and the factory stops pooling: files of views
// destroyed afterwards are deleted, not refreshed and failed again.
TEST(ReflinkView, AFailedRefreshEndsPooling) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for the loop-mounted XFS scratch";
  testing::TempDir dir;
  ReflinkScratch scratch(dir.path(), dir.path() + "/mnt", 1ULL << 30);
  const uint64_t size = 16 << 20;
  ReflinkViewFactory f(scratch.dir() + "/replay.img", size, scratch.dir());
  write_at(f.replay_path(), 4096, 8192, 'a');
  std::string first = f.take()->path();  // destroyed at once: pooled
  ASSERT_EQ(access(first.c_str(), F_OK), 0);
  ASSERT_EQ(truncate(first.c_str(), 4096), 0);
  std::unique_ptr<View> second = f.take();
  EXPECT_NE(second->path(), first);
  EXPECT_NE(access(first.c_str(), F_OK), 0) << "the file that failed is deleted";
  EXPECT_TRUE(same_bytes(second->path(), f.replay_path()));
  std::string second_path = second->path();
  second.reset();
  EXPECT_NE(access(second_path.c_str(), F_OK), 0) << "no pooling after a failed refresh";
  std::unique_ptr<View> third = f.take();
  EXPECT_TRUE(same_bytes(third->path(), f.replay_path()));
}

FileExtent extent(uint64_t logical, uint64_t physical, uint64_t length) {
  return {logical, physical, length, false, true};
}

TEST(MappingDifferences, EqualMappingsNeedNothing) {
  std::vector<FileExtent> a = {extent(0, 100, 10), extent(20, 300, 10)};
  EXPECT_TRUE(mapping_differences(a, a, 40).empty());
  // The same blocks reported as two extents in one file, one in the other.
  std::vector<FileExtent> b = {extent(0, 100, 4), extent(4, 104, 6), extent(20, 300, 10)};
  EXPECT_TRUE(mapping_differences(a, b, 40).empty());
  EXPECT_TRUE(mapping_differences({}, {}, 40).empty());
}

TEST(MappingDifferences, FindsEveryRangeMappedDifferently) {
  std::vector<FileExtent> source = {extent(0, 100, 10), extent(20, 300, 10)};
  std::vector<FileExtent> copy = {extent(0, 100, 5), extent(5, 900, 5), extent(10, 500, 5),
                                  extent(20, 300, 10)};
  std::vector<MappingDifference> d = mapping_differences(source, copy, 40);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].offset, 5u);  // other blocks
  EXPECT_EQ(d[0].length, 5u);
  EXPECT_FALSE(d[0].source_hole);
  EXPECT_EQ(d[1].offset, 10u);  // the copy has data where the source has a hole
  EXPECT_EQ(d[1].length, 5u);
  EXPECT_TRUE(d[1].source_hole);
}

TEST(MappingDifferences, MergesNeighboursOfOneKindAndStopsAtTheSize) {
  std::vector<FileExtent> source = {extent(0, 100, 10), extent(10, 700, 10), extent(30, 800, 100)};
  std::vector<FileExtent> copy = {extent(0, 200, 20)};
  std::vector<MappingDifference> d = mapping_differences(source, copy, 40);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].offset, 0u);
  EXPECT_EQ(d[0].length, 20u);
  EXPECT_EQ(d[1].offset, 30u);
  EXPECT_EQ(d[1].length, 10u) << "clipped at the size";
}

TEST(MappingDifferences, OpaqueOrUnwrittenExtentsAreNeverTheSame) {
  FileExtent opaque = extent(0, 100, 10);
  opaque.comparable = false;
  EXPECT_EQ(mapping_differences({opaque}, {opaque}, 10).size(), 1u);
  FileExtent unwritten = extent(0, 100, 10);
  unwritten.unwritten = true;
  EXPECT_EQ(mapping_differences({unwritten}, {extent(0, 100, 10)}, 10).size(), 1u);
  EXPECT_TRUE(mapping_differences({unwritten}, {unwritten}, 10).empty());
}

TEST(SpliceExtents, ReplacesTheRangeAndSplitsExtentsAcrossItsEnds) {
  std::vector<FileExtent> map = {extent(0, 100, 10), extent(10, 500, 20), extent(40, 900, 10)};
  // FIEMAP of [15, 35) may report whole extents reaching out of it.
  splice_extents(map, 15, 35, {extent(12, 700, 6), extent(30, 800, 10)});
  std::vector<FileExtent> want = {extent(0, 100, 10), extent(10, 500, 5), extent(15, 703, 3),
                                  extent(30, 800, 5), extent(40, 900, 10)};
  ASSERT_EQ(map.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(map[i].logical, want[i].logical) << i;
    EXPECT_EQ(map[i].physical, want[i].physical) << i;
    EXPECT_EQ(map[i].length, want[i].length) << i;
  }
}

TEST(SpliceExtents, AnExtentAcrossTheWholeRangeKeepsBothOuterParts) {
  std::vector<FileExtent> map = {extent(0, 100, 100)};
  FileExtent fresh = extent(40, 5000, 10);
  fresh.unwritten = true;
  splice_extents(map, 30, 60, {fresh});
  ASSERT_EQ(map.size(), 3u);
  EXPECT_EQ(map[0].length, 30u);
  EXPECT_EQ(map[1].logical, 40u);
  EXPECT_TRUE(map[1].unwritten);
  EXPECT_EQ(map[2].logical, 60u);
  EXPECT_EQ(map[2].physical, 160u);
  EXPECT_EQ(map[2].length, 40u);
  // Now a hole there: only the outer parts stay.
  splice_extents(map, 30, 60, {});
  ASSERT_EQ(map.size(), 2u);
  EXPECT_TRUE(mapping_differences(map, {extent(0, 100, 30), extent(60, 160, 40)}, 100).empty());
  splice_extents(map, 0, 1000, {extent(0, 7, 1000)});
  ASSERT_EQ(map.size(), 1u);
  EXPECT_EQ(map[0].physical, 7u);
}

TEST(ReflinkView, RefusesADirectoryWithoutReflink) {
  testing::TempDir dir;
  if (supports_reflink(dir.path())) GTEST_SKIP() << dir.path() << " has reflink";
  EXPECT_ANY_THROW(ReflinkViewFactory(dir.path() + "/replay.img", 1 << 20, dir.path()));
}

TEST(LoopDevice, AttachesAndDetaches) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  testing::TempDir dir;
  create_image(dir.path() + "/img", 1 << 20);
  std::string path;
  {
    LoopDevice loop(dir.path() + "/img");
    path = loop.path();
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISBLK(st.st_mode));
  }
  EXPECT_FALSE(path.empty());
}

// The idle probe of a pooled view's device (an exclusive open) lets go of
// its claim when it returns, even while other threads start programs: a
// child holds a copy of every descriptor until its exec, and a copy of the
// probe's kept the claim and failed the check's mount that came next
// (EBUSY). Here a second probe stands for the mount.
TEST(LoopDevice, AnExclusiveProbeEndsWithItWhileProgramsStart) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  testing::TempDir dir;
  create_image(dir.path() + "/img", 1 << 20);
  LoopDevice loop(dir.path() + "/img");
  {
    bb::common::FileDescriptor holder(open(loop.path().c_str(), O_RDONLY | O_EXCL | O_CLOEXEC));
    ASSERT_TRUE(holder);
    EXPECT_FALSE(bb::common::can_open_exclusively(loop.path())) << "held exclusively";
  }
  std::atomic<bool> stop{false};
  std::vector<std::jthread> spawners;
  spawners.reserve(2);
  for (int i = 0; i < 2; ++i) {
    spawners.emplace_back([&stop] {
      while (!stop) (void)bb::common::run_process({"true"});
    });
  }
  int probes = 0, refused = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < end) {
    ++probes;
    if (!bb::common::can_open_exclusively(loop.path())) ++refused;
  }
  stop = true;
  EXPECT_EQ(refused, 0) << refused << " of " << probes
                        << " probes found the device claimed by an earlier probe";
}

// Whether loop device `dev` (/dev/loopN) has a backing file.
TEST(LoopSlot, ReattachedDeviceShowsOnlyTheNewFile) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  testing::TempDir dir;
  std::string a = dir.path() + "/a.img", b = dir.path() + "/b.img";
  create_image(a, 1 << 20);
  create_image(b, 1 << 20);
  put(a, 8192, 'a');
  put(b, 8192, 'b');
  LoopSlot slot;
  std::string dev = slot.attach(a, 4096);
  EXPECT_EQ(read_device(dev, 8192, 1), "a");
  // A check writes through the device (journal recovery does).
  int fd = open(dev.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  std::vector<char> page(4096, 'w');
  ASSERT_EQ(pwrite(fd, page.data(), page.size(), 4096), 4096);
  fsync(fd);  // as an umount does
  close(fd);
  slot.detach();
  EXPECT_EQ(get(a, 4096), 'w') << "writes through the device reach the file";
  std::string again = slot.attach(b, 512);
  // Reused unless another process (a host test running beside this one)
  // took the device while it was free; then that process holds it now.
  if (again != dev) {
    EXPECT_TRUE(attached(dev)) << again << " taken although " << dev << " was free";
  }
  EXPECT_EQ(read_device(again, 8192, 1), "b") << "nothing cached from the previous file";
  EXPECT_EQ(read_device(again, 4096, 1), std::string(1, '\0'));
  slot.detach();
  EXPECT_EQ(get(b, 4096), '\0');
}

}  // namespace
}  // namespace bb::crashcheck
