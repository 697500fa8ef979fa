// SPDX-License-Identifier: GPL-2.0-or-later
// filesystem_io_unit() and read_ext4_journal_log() on superblocks and
// journals written by hand and, where the programs are installed (and for
// the journal, as root), on real filesystems.
#include "crashcheck/fs_superblock.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <vector>

#include "common/file_descriptor.h"
#include "common/process.h"
#include "crashcheck/loop_device.h"

#include "crashcheck/view_file.h"
#include "test_log.h"

namespace bb::crashcheck {
namespace {

void put_bytes(const std::string& path, off_t offset, const std::vector<uint8_t>& bytes) {
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), offset), static_cast<ssize_t>(bytes.size()));
  close(fd);
}

class FilesystemIoUnit : public ::testing::Test {
 protected:
  void SetUp() override { create_image(image, 1 << 20); }
  testing::TempDir dir;
  std::string image = dir.path() + "/fs.img";
};

TEST_F(FilesystemIoUnit, Ext4BlockSize) {
  put_bytes(image, 1024 + 56, {0x53, 0xef});
  put_bytes(image, 1024 + 24, {2, 0, 0, 0});  // 1024 << 2
  EXPECT_EQ(filesystem_io_unit(image), 4096u);
  put_bytes(image, 1024 + 24, {0, 0, 0, 0});
  EXPECT_EQ(filesystem_io_unit(image), 1024u);
}

TEST_F(FilesystemIoUnit, XfsSectorSize) {
  put_bytes(image, 0, {'X', 'F', 'S', 'B'});
  put_bytes(image, 102, {0x02, 0x00});  // big-endian 512
  EXPECT_EQ(filesystem_io_unit(image), 512u);
  put_bytes(image, 102, {0x10, 0x00});
  EXPECT_EQ(filesystem_io_unit(image), 4096u);
}

TEST_F(FilesystemIoUnit, BtrfsSectorSize) {
  put_bytes(image, 0x10040, {'_', 'B', 'H', 'R', 'f', 'S', '_', 'M'});
  put_bytes(image, 0x10090, {0x00, 0x10, 0, 0});
  EXPECT_EQ(filesystem_io_unit(image), 4096u);
}

TEST_F(FilesystemIoUnit, AnythingElseOrImplausibleIs512) {
  EXPECT_EQ(filesystem_io_unit(image), 512u);
  EXPECT_EQ(filesystem_io_unit(dir.path() + "/missing"), 512u);
  put_bytes(image, 0, {'X', 'F', 'S', 'B'});
  put_bytes(image, 102, {0x03, 0x00});  // 768: not a power of two
  EXPECT_EQ(filesystem_io_unit(image), 512u);
  put_bytes(image, 102, {0x00, 0x00});
  EXPECT_EQ(filesystem_io_unit(image), 512u);
}

bool have(const char* program) {
  return std::system((std::string("command -v ") + program + " >/dev/null 2>&1").c_str()) == 0;
}

TEST_F(FilesystemIoUnit, RealFilesystems) {
  if (!have("mkfs.ext4") || !have("mkfs.xfs")) GTEST_SKIP() << "no mkfs.ext4 or mkfs.xfs";
  std::string big = dir.path() + "/big.img";
  create_image(big, 320 << 20);
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F -b 1024 " + big).c_str()), 0);
  EXPECT_EQ(filesystem_io_unit(big), 1024u);
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F -b 4096 " + big).c_str()), 0);
  EXPECT_EQ(filesystem_io_unit(big), 4096u);
  ASSERT_EQ(std::system(("mkfs.xfs -q -f -s size=512 " + big).c_str()), 0);
  EXPECT_EQ(filesystem_io_unit(big), 512u);
}

// A 64 KiB ext4 image of 1 KiB blocks as far as the journal read-ahead
// looks: a superblock that needs recovery, its journal inode's root in
// s_jnl_blocks (one extent: journal blocks 0-31 at blocks 16-47), and a
// jbd2 v2 superblock (csum v3 tags) whose log starts at journal block 1,
// sequence 5: a descriptor of two blocks and a commit, a descriptor of one
// block, a revoke block and a commit, then a block of the next sequence
// but not a log block (the end: journal block 9).
class HandWrittenJournal : public ::testing::Test {
 protected:
  void SetUp() override {
    create_image(image, 64 << 10);
    put_bytes(image, 1024 + 56, {0x53, 0xef});
    put_bytes(image, 1024 + 0x5C, {0x04, 0, 0, 0});  // has_journal
    put_bytes(image, 1024 + 0x60, {0x04, 0, 0, 0});  // needs_recovery
    put_bytes(image, 1024 + 0xE0, {8, 0, 0, 0});     // journal inode
    put_bytes(image, 1024 + 0xFD, {1});              // s_jnl_blocks: the inode's blocks
    put_bytes(image, 1024 + 0x10C, {0x0a, 0xf3, 1, 0, 4,  0, 0, 0, 0,  0, 0, 0,    // header
                                    0,    0,    0, 0, 32, 0, 0, 0, 16, 0, 0, 0});  // extent
    journal_block(0, {0xc0, 0x3b, 0x39, 0x98, 0, 0, 0, 4,  0, 0, 0, 0,             // v2 superblock
                      0,    0,    4,    0,    0, 0, 0, 32, 0, 0, 0, 1,  // bs, maxlen, first
                      0,    0,    0,    5,    0, 0, 0, 1});             // sequence, start
    put_bytes(image, 16 * 1024 + 40, {0, 0, 0, 0x10});                  // incompat: csum v3
    // Tags of 16 bytes: the first with a UUID after it, the second last.
    journal_block(1, header(1, 5, {0, 0, 0, 1, 0, 0, 0, 0,    0, 0, 0, 0, 0, 0, 0, 0,  //
                                   0, 0, 0, 0, 0, 0, 0, 0,    0, 0, 0, 0, 0, 0, 0, 0,  // uuid
                                   0, 0, 0, 2, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0}));
    journal_block(4, header(2, 5));
    journal_block(5, header(1, 6, {0, 0, 0, 3, 0, 0, 0, 0x0a}));
    journal_block(7, header(5, 6));
    journal_block(8, header(2, 6));
    journal_block(9, header(7, 7));  // sequence 7 but no log block type
  }
  static std::vector<uint8_t> header(uint8_t type, uint8_t sequence,
                                     std::vector<uint8_t> rest = {}) {
    rest.insert(rest.begin(), {0xc0, 0x3b, 0x39, 0x98, 0, 0, 0, type, 0, 0, 0, sequence});
    return rest;
  }
  void journal_block(off_t j, const std::vector<uint8_t>& bytes) {
    put_bytes(image, (16 + j) * 1024, bytes);
  }
  std::optional<Ext4JournalLog> read() {
    bb::common::FileDescriptor fd(open(image.c_str(), O_RDONLY | O_CLOEXEC));
    return read_ext4_journal_log(fd.get());
  }
  testing::TempDir dir;
  std::string image = dir.path() + "/fs.img";
};

TEST_F(HandWrittenJournal, FindsTheLogJbd2WillRecover) {
  std::optional<Ext4JournalLog> log = read();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->block_size, 1024u);
  EXPECT_EQ(log->start, 1u);
  EXPECT_EQ(log->end, 9u);
  EXPECT_EQ(log->transactions, 2u);
  EXPECT_GE(log->bytes_read, 10u * 1024);
}

TEST_F(HandWrittenJournal, WrapsFromTheEndOfTheJournalToItsFirstBlock) {
  // The same log moved to the end: descriptor at 30, its blocks at 31 and
  // 1 (wrapped past maxlen 32 to s_first), commit at 2.
  put_bytes(image, 16 * 1024 + 28, {0, 0, 0, 30});                                    // s_start
  journal_block(30, header(1, 5, {0, 0, 0, 1, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                  0, 0, 0, 2, 0, 0, 0, 0x0a}));
  journal_block(2, header(2, 5));
  journal_block(3, header(1, 9));  // another sequence: the end
  std::optional<Ext4JournalLog> log = read();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->start, 30u);
  EXPECT_EQ(log->end, 3u);
  EXPECT_EQ(log->transactions, 1u);
}

TEST_F(HandWrittenJournal, NothingWithoutARecoveryToDoOrWhenImplausible) {
  put_bytes(image, 1024 + 0x60, {0, 0, 0, 0});
  EXPECT_FALSE(read()) << "no needs_recovery";
  put_bytes(image, 1024 + 0x60, {0x04, 0, 0, 0});
  put_bytes(image, 16 * 1024 + 28, {0, 0, 0, 0});
  EXPECT_FALSE(read()) << "a clean journal (s_start 0)";
  put_bytes(image, 16 * 1024 + 28, {0, 0, 0, 40});
  EXPECT_FALSE(read()) << "s_start past the journal";
  put_bytes(image, 16 * 1024 + 28, {0, 0, 0, 1});
  put_bytes(image, 1024 + 0x10C + 6, {1, 0});
  EXPECT_FALSE(read()) << "an extent tree deeper than its root";
  put_bytes(image, 1024 + 0x10C + 6, {0, 0});
  put_bytes(image, 1024 + 0x10C + 20, {200, 0, 0, 0});
  EXPECT_FALSE(read()) << "a journal past the device's end";
  put_bytes(image, 1024 + 0x10C + 20, {16, 0, 0, 0});
  put_bytes(image, 16 * 1024 + 12, {0, 0, 0x10, 0});
  EXPECT_FALSE(read()) << "a journal block size not the filesystem's";
}

// A log the kernel wrote: an ext4 shut down with committed transactions
// not yet written to their places. The log read ahead ends where
// debugfs's logdump says the journal ends, and the mount then finds it in
// the device's cache: far fewer read requests than the same mount without.
TEST(Ext4JournalLog, AKernelWrittenLogAndTheMountsReads) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount";
  if (!have("mkfs.ext4") || !have("debugfs") || !have("xfs_io"))
    GTEST_SKIP() << "no mkfs.ext4, debugfs or xfs_io";
  testing::TempDir dir;
  const std::string image = dir.path() + "/fs.img", mnt = dir.path() + "/mnt";
  create_image(image, 64 << 20);
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F -b 1024 " + image).c_str()), 0);
  {
    LoopDevice loop(image);
    ASSERT_EQ(std::system(("mkdir -p " + mnt + " && mount " + loop.path() + " " + mnt +
                           " && for i in $(seq 60); do mkdir " + mnt + "/d$i && echo $i > " + mnt +
                           "/d$i/f && sync -f " + mnt + "; done && xfs_io -x -c shutdown " + mnt +
                           " && umount " + mnt)
                              .c_str()),
              0);
  }
  bb::common::ProcessResult dump = bb::common::run_process({"debugfs", "-R", "logdump", image});
  std::smatch start, end;
  ASSERT_TRUE(std::regex_search(dump.output, start, std::regex("Journal starts at block (\\d+)")))
      << dump.output;
  ASSERT_TRUE(std::regex_search(dump.output, end, std::regex("at block (\\d+): end of journal")))
      << dump.output;
  std::optional<Ext4JournalLog> log;
  {
    bb::common::FileDescriptor fd(open(image.c_str(), O_RDONLY | O_CLOEXEC));
    log = read_ext4_journal_log(fd.get());
  }
  ASSERT_TRUE(log);
  EXPECT_EQ(log->start, std::stoul(start[1]));
  EXPECT_EQ(log->end, std::stoul(end[1]));
  ASSERT_GT(log->end - log->start, 60u) << "sixty transactions to recover";

  auto mount_reads = [&](bool read_ahead) -> uint64_t {
    const std::string copy = dir.path() + "/copy.img";
    std::filesystem::copy_file(image, copy, std::filesystem::copy_options::overwrite_existing);
    LoopDevice loop(copy);
    auto reads = [&] {
      std::ifstream in("/sys/block/" + loop.path().substr(5) + "/stat");
      uint64_t n = 0;
      in >> n;
      return n;
    };
    bb::common::FileDescriptor hold(open(loop.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (read_ahead) {
      EXPECT_TRUE(read_ext4_journal_log(hold.get()));
    }
    uint64_t before = reads();
    EXPECT_EQ(mount(loop.path().c_str(), mnt.c_str(), "ext4", 0, ""), 0) << std::strerror(errno);
    uint64_t after = reads();
    umount(mnt.c_str());
    return after - before;
  };
  uint64_t plain = mount_reads(false), ahead = mount_reads(true);
  EXPECT_LT(ahead * 4, plain) << ahead << " read requests with the log read ahead, " << plain
                              << " without";
}

}  // namespace
}  // namespace bb::crashcheck
