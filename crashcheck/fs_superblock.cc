// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/fs_superblock.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "common/file_descriptor.h"

namespace bb::crashcheck {

namespace {

constexpr uint32_t kDefault = 512;

// Superblock fields, at byte offsets from the start of the device.
constexpr off_t kExtSuper = 1024;
constexpr off_t kExtLogBlockSize = kExtSuper + 24;  // le32
constexpr off_t kExtMagic = kExtSuper + 56;         // le16 0xEF53
constexpr uint32_t kExtMagicValue = 0xEF53;
constexpr off_t kXfsMagic = 0;       // "XFSB"
constexpr off_t kXfsSectSize = 102;  // be16
constexpr off_t kBtrfsSuper = 0x10000;
constexpr off_t kBtrfsMagic = kBtrfsSuper + 0x40;       // "_BHRfS_M"
constexpr off_t kBtrfsSectorSize = kBtrfsSuper + 0x90;  // le32

template <size_t N>
bool read_at(int fd, off_t offset, std::array<uint8_t, N>& out) {
  return pread(fd, out.data(), N, offset) == static_cast<ssize_t>(N);
}

uint32_t le(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool plausible(uint32_t unit) { return unit >= 512 && unit <= 65536 && (unit & (unit - 1)) == 0; }

uint32_t probe(int fd) {
  std::array<uint8_t, 8> b{};
  if (read_at(fd, kXfsMagic, b) && std::memcmp(b.data(), "XFSB", 4) == 0) {
    std::array<uint8_t, 2> s{};
    if (read_at(fd, kXfsSectSize, s)) return static_cast<uint32_t>(s[0]) << 8 | s[1];
  }
  std::array<uint8_t, 2> magic{};
  if (read_at(fd, kExtMagic, magic) && le(magic.data(), 2) == kExtMagicValue) {
    std::array<uint8_t, 4> s{};
    if (read_at(fd, kExtLogBlockSize, s) && le(s.data(), 4) < 7) return 1024U << le(s.data(), 4);
  }
  if (read_at(fd, kBtrfsMagic, b) && std::memcmp(b.data(), "_BHRfS_M", 8) == 0) {
    std::array<uint8_t, 4> s{};
    if (read_at(fd, kBtrfsSectorSize, s)) return le(s.data(), 4);
  }
  return kDefault;
}

// The ext2/3/4 superblock's journal fields (offsets in the superblock,
// little-endian) and jbd2's on-disk format (big-endian), as
// Documentation/filesystems/ext4/journal.rst describes them.
constexpr size_t kExtSuperBytes = 1024;
constexpr size_t kExtFeatureCompat = 0x5C;    // has_journal 0x4
constexpr size_t kExtFeatureIncompat = 0x60;  // needs_recovery 0x4
constexpr size_t kExtJournalInum = 0xE0;
constexpr size_t kExtJournalDev = 0xE4;
constexpr size_t kExtJnlBackupType = 0xFD;  // 1: s_jnl_blocks holds the inode's blocks
constexpr size_t kExtJnlBlocks = 0x10C;     // the journal inode's i_block[15], then sizes
constexpr uint32_t kExtCompatHasJournal = 0x4;
constexpr uint32_t kExtIncompatRecover = 0x4;
constexpr uint32_t kExtentMagic = 0xF30A;  // an extent tree node's header
constexpr size_t kExtentBytes = 12;        // header and each extent
constexpr uint32_t kExtentUnwrittenLen = 32768;

constexpr uint32_t kJbd2Magic = 0xC03B3998;
enum : uint32_t {
  kJbd2Descriptor = 1,
  kJbd2Commit = 2,
  kJbd2SuperV1 = 3,
  kJbd2SuperV2 = 4,
  kJbd2Revoke = 5
};
constexpr size_t kJbd2HeaderBytes = 12;  // magic, block type, sequence
constexpr uint32_t kJbd2Incompat64bit = 0x2, kJbd2IncompatCsumV2 = 0x8, kJbd2IncompatCsumV3 = 0x10;
constexpr uint32_t kJbd2FlagSameUuid = 0x2, kJbd2FlagLastTag = 0x8;
constexpr size_t kJbd2UuidBytes = 16, kJbd2TailBytes = 4;
// The scan reads the log ahead in pieces of this many bytes.
constexpr uint64_t kJournalReadBytes = 64 << 10;

uint32_t be(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Journal blocks -> device blocks, from the extents in the journal inode's
// root; reads a piece of the log at a time.
class JournalReader {
 public:
  struct Extent {
    uint32_t logical = 0;
    uint32_t length = 0;
    uint64_t physical = 0;
  };
  JournalReader(int fd, uint32_t block_size, std::vector<Extent> extents)
      : fd_(fd), bs_(block_size), extents_(std::move(extents)) {}

  // Journal block `j`, or nullptr if unmapped or unreadable.
  const uint8_t* block(uint32_t j) {
    if (j >= first_ && j < first_ + count_) return buffer_.data() + uint64_t{j - first_} * bs_;
    for (const Extent& e : extents_) {
      if (j < e.logical || j - e.logical >= e.length) continue;
      uint32_t n = std::min<uint32_t>(e.length - (j - e.logical),
                                      std::max<uint64_t>(kJournalReadBytes / bs_, 1));
      buffer_.resize(uint64_t{n} * bs_);
      auto at = static_cast<off_t>((e.physical + (j - e.logical)) * bs_);
      if (pread(fd_, buffer_.data(), buffer_.size(), at) != static_cast<ssize_t>(buffer_.size()))
        return nullptr;
      bytes_read_ += buffer_.size();
      first_ = j;
      count_ = n;
      return buffer_.data();
    }
    return nullptr;
  }
  [[nodiscard]] uint64_t bytes_read() const { return bytes_read_; }

 private:
  int fd_;
  uint32_t bs_;
  std::vector<Extent> extents_;
  std::vector<uint8_t> buffer_;
  uint32_t first_ = 0, count_ = 0;
  uint64_t bytes_read_ = 0;
};

// The journal blocks a descriptor block `d` describes (jbd2's count_tags).
uint32_t descriptor_tags(const uint8_t* d, uint32_t block_size, uint32_t incompat) {
  size_t tag_bytes = 16;  // csum v3's tag
  if ((incompat & kJbd2IncompatCsumV3) == 0) {
    tag_bytes = 12 + ((incompat & kJbd2IncompatCsumV2) != 0 ? 2 : 0) -
                ((incompat & kJbd2Incompat64bit) != 0 ? 0 : 4);
  }
  size_t usable = block_size;
  if ((incompat & (kJbd2IncompatCsumV2 | kJbd2IncompatCsumV3)) != 0) usable -= kJbd2TailBytes;
  uint32_t tags = 0;
  for (size_t at = kJbd2HeaderBytes; at + tag_bytes <= usable;) {
    uint32_t flags = be(d + at + 6, 2);  // the low half of csum v3's 32-bit flags too
    ++tags;
    at += tag_bytes;
    if ((flags & kJbd2FlagSameUuid) == 0) at += kJbd2UuidBytes;
    if ((flags & kJbd2FlagLastTag) != 0) break;
  }
  return tags;
}

}  // namespace

std::optional<Ext4JournalLog> read_ext4_journal_log(int fd) {
  std::array<uint8_t, kExtSuperBytes> sb{};
  if (!read_at(fd, kExtSuper, sb) || le(sb.data() + (kExtMagic - kExtSuper), 2) != kExtMagicValue)
    return std::nullopt;
  const uint32_t log_block = le(sb.data() + (kExtLogBlockSize - kExtSuper), 4);
  if (log_block > 6) return std::nullopt;
  const uint32_t bs = 1024U << log_block;
  if ((le(sb.data() + kExtFeatureCompat, 4) & kExtCompatHasJournal) == 0 ||
      (le(sb.data() + kExtFeatureIncompat, 4) & kExtIncompatRecover) == 0 ||
      le(sb.data() + kExtJournalInum, 4) == 0 || le(sb.data() + kExtJournalDev, 4) != 0 ||
      sb[kExtJnlBackupType] != 1)
    return std::nullopt;
  const uint8_t* root = sb.data() + kExtJnlBlocks;
  const uint32_t entries = le(root + 2, 2);
  if (le(root, 2) != kExtentMagic || le(root + 6, 2) != 0 || entries == 0 || entries > 4)
    return std::nullopt;  // not extents, or not all in the root
  std::vector<JournalReader::Extent> extents;
  for (uint32_t i = 0; i < entries; ++i) {
    const uint8_t* e = root + kExtentBytes * (i + 1);
    uint32_t length = le(e + 4, 2);
    if (length > kExtentUnwrittenLen) length -= kExtentUnwrittenLen;
    extents.push_back({le(e, 4), length, uint64_t{le(e + 6, 2)} << 32 | le(e + 8, 4)});
  }
  // The cache the reads fill is kept only if the mount finds the block
  // size it wants.
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
    int size = static_cast<int>(bs);
    if (ioctl(fd, BLKBSZSET, &size) != 0) return std::nullopt;
  }
  JournalReader reader(fd, bs, std::move(extents));
  const uint8_t* jsb = reader.block(0);
  if (jsb == nullptr || be(jsb, 4) != kJbd2Magic) return std::nullopt;
  const uint32_t type = be(jsb + 4, 4);
  if ((type != kJbd2SuperV1 && type != kJbd2SuperV2) || be(jsb + 12, 4) != bs) return std::nullopt;
  const uint32_t maxlen = be(jsb + 16, 4), first = be(jsb + 20, 4);
  uint32_t sequence = be(jsb + 24, 4);
  const uint32_t start = be(jsb + 28, 4);
  const uint32_t incompat = type == kJbd2SuperV2 ? be(jsb + 40, 4) : 0;
  if (start == 0 || first == 0 || first >= maxlen || start < first || start >= maxlen)
    return std::nullopt;
  Ext4JournalLog log{bs, start, start, 0, 0};
  uint32_t j = start;
  // At most the whole journal: a log cannot be longer.
  for (uint64_t walked = 0; walked < maxlen;) {
    const uint8_t* b = reader.block(j);
    if (b == nullptr || be(b, 4) != kJbd2Magic || be(b + 8, 4) != sequence) break;
    uint32_t step = 1;
    switch (be(b + 4, 4)) {
      case kJbd2Descriptor:
        step += descriptor_tags(b, bs, incompat);
        break;
      case kJbd2Commit:
        ++sequence;
        ++log.transactions;
        break;
      case kJbd2Revoke:
        break;
      default:
        walked = maxlen;  // not a log block: the end
        continue;
    }
    walked += step;
    j += step;
    while (j >= maxlen) j -= maxlen - first;  // the log wraps to s_first
  }
  log.end = j;
  log.bytes_read = reader.bytes_read();
  return log;
}

uint32_t filesystem_io_unit(const std::string& image) {
  bb::common::FileDescriptor fd(open(image.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return kDefault;
  uint32_t unit = probe(fd.get());
  // The device block size may not exceed a page either.
  return plausible(unit) && unit <= static_cast<uint32_t>(sysconf(_SC_PAGESIZE)) ? unit : kDefault;
}

}  // namespace bb::crashcheck
