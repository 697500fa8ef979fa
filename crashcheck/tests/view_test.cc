// SPDX-License-Identifier: GPL-2.0-or-later
// Views on real files: a view keeps the state it was taken in while the
// replay target changes, and writes to a view stay in the view. The reflink
// test makes its own XFS scratch on a loop device (needs root).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <vector>

#include "crashcheck/loop_device.h"
#include "crashcheck/view_copy.h"
#include "crashcheck/view_reflink.h"
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

void views_are_private(ViewFactory& f) {
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
  EXPECT_NE(access(p.c_str(), F_OK), 0) << "a destroyed view leaves no file";
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
  ReflinkViewFactory f(scratch.dir() + "/replay.img", 512 << 20, scratch.dir());
  views_are_private(f);
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

std::string read_device(const std::string& dev, off_t offset, size_t n) {
  int fd = open(dev.c_str(), O_RDONLY);
  std::string s(n, '\0');
  EXPECT_EQ(pread(fd, s.data(), n, offset), static_cast<ssize_t>(n));
  close(fd);
  return s;
}

// Whether loop device `dev` (/dev/loopN) has a backing file.
bool attached(const std::string& dev) {
  const std::string name = dev.substr(dev.rfind('/') + 1);
  struct stat st {};
  return stat(("/sys/block/" + name + "/loop/backing_file").c_str(), &st) == 0;
}

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
