// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/fs_superblock.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "common/file_descriptor.h"

namespace bb::crashcheck {

namespace {

constexpr uint32_t kDefault = 512;

// Superblock fields, at byte offsets from the start of the device.
constexpr off_t kExtSuper = 1024;
constexpr off_t kExtLogBlockSize = kExtSuper + 24;  // le32
constexpr off_t kExtMagic = kExtSuper + 56;         // le16 0xEF53
constexpr off_t kXfsMagic = 0;                      // "XFSB"
constexpr off_t kXfsSectSize = 102;                 // be16
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
  if (read_at(fd, kExtMagic, magic) && le(magic.data(), 2) == 0xEF53) {
    std::array<uint8_t, 4> s{};
    if (read_at(fd, kExtLogBlockSize, s) && le(s.data(), 4) < 7) return 1024U << le(s.data(), 4);
  }
  if (read_at(fd, kBtrfsMagic, b) && std::memcmp(b.data(), "_BHRfS_M", 8) == 0) {
    std::array<uint8_t, 4> s{};
    if (read_at(fd, kBtrfsSectorSize, s)) return le(s.data(), 4);
  }
  return kDefault;
}

}  // namespace

uint32_t filesystem_io_unit(const std::string& image) {
  bb::common::FileDescriptor fd(open(image.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return kDefault;
  uint32_t unit = probe(fd.get());
  // The device block size may not exceed a page either.
  return plausible(unit) && unit <= static_cast<uint32_t>(sysconf(_SC_PAGESIZE)) ? unit : kDefault;
}

}  // namespace bb::crashcheck
