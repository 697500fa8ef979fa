// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/replay_target.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "common/file_info.h"
#include "common/system_error.h"
#include "engine/replay_error.h"
#include "format/log_format.h"

namespace bb::replay {
namespace {

constexpr size_t kZeroChunk = 1 << 20;

bool unsupported(int err) {
  return err == EOPNOTSUPP || err == ENOTTY || err == ENOSYS || err == EINVAL;
}

}  // namespace

const char* zero_method_name(ZeroMethod m) {
  switch (m) {
    case ZeroMethod::kBlkZeroout:
      return "BLKZEROOUT";
    case ZeroMethod::kPunchHole:
      return "fallocate(PUNCH_HOLE)";
    case ZeroMethod::kZeroRange:
      return "fallocate(ZERO_RANGE)";
    case ZeroMethod::kWrite:
      return "zero writes";
  }
  return "?";
}

ReplayTarget::ReplayTarget(const std::string& path) : path_(path) {
  try {
    fd_ = bb::common::open_file(path, O_WRONLY, 0, "(the replay target)");
    block_device_ = bb::common::file_info(fd_.get(), path).block_device;
  } catch (const bb::common::SystemError& err) {
    throw ReplayError(err.what());
  }
  method_ = block_device_ ? ZeroMethod::kBlkZeroout : ZeroMethod::kPunchHole;
}

void ReplayTarget::write(uint64_t offset, std::span<const uint8_t> data) {
  writev(offset, {iovec{const_cast<uint8_t*>(data.data()), data.size()}});
}

void ReplayTarget::writev(uint64_t offset, std::vector<iovec> iov) {
  if (observer_) {
    uint64_t bytes = 0;
    for (const iovec& v : iov) bytes += v.iov_len;
    observer_(offset, bytes);
  }
  write_unreported(offset, std::move(iov));
}

void ReplayTarget::write_unreported(uint64_t offset, std::vector<iovec> iov) {
  size_t first = 0;
  while (first < iov.size()) {
    int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = ::pwritev(fd_.get(), &iov[first], count, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw ReplayError(
          fmt::format("write to {} at byte {} failed: {}", path_, offset, std::strerror(errno)));
    }
    if (n == 0) {
      throw ReplayError(
          fmt::format("write to {} at byte {} made no progress (device full?)", path_, offset));
    }
    offset += static_cast<uint64_t>(n);
    auto left = static_cast<size_t>(n);
    while (left > 0 && first < iov.size()) {
      size_t take = std::min(left, iov[first].iov_len);
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + take;
      iov[first].iov_len -= take;
      left -= take;
      if (iov[first].iov_len == 0) ++first;
    }
  }
}

bool ReplayTarget::try_fallocate(int mode, uint64_t offset, uint64_t len) {
  while (::fallocate(fd_.get(), mode, static_cast<off_t>(offset), static_cast<off_t>(len)) != 0) {
    if (errno == EINTR) continue;
    if (errno == EOPNOTSUPP || errno == ENOSYS) return false;
    throw ReplayError(fmt::format("fallocate on {} at byte {} length {} failed: {}", path_, offset,
                                  len, std::strerror(errno)));
  }
  return true;
}

void ReplayTarget::write_zeroes(uint64_t offset, uint64_t len) {
  if (!block_device_) {
    // Like PUNCH_HOLE|KEEP_SIZE: zeroing never grows a file.
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) throw ReplayError(fmt::format("cannot stat {}", path_));
    auto size = static_cast<uint64_t>(st.st_size);
    if (offset >= size) return;
    len = std::min(len, size - offset);
  }
  static const std::vector<uint8_t> zeroes(kZeroChunk, 0);
  while (len > 0) {
    auto n = static_cast<size_t>(std::min<uint64_t>(len, kZeroChunk));
    write_unreported(offset, {iovec{const_cast<uint8_t*>(zeroes.data()), n}});
    offset += n;
    len -= n;
  }
}

ZeroMethod ReplayTarget::zero(uint64_t offset, uint64_t len) {
  if (len == 0) return method_;
  if (observer_) observer_(offset, len);
  if (method_ == ZeroMethod::kBlkZeroout) {
    std::array<uint64_t, 2> range{offset, len};
    if (::ioctl(fd_.get(), BLKZEROOUT, range.data()) == 0) return method_;
    if (!unsupported(errno)) {
      throw ReplayError(fmt::format("BLKZEROOUT on {} at byte {} length {} failed: {}", path_,
                                    offset, len, std::strerror(errno)));
    }
    method_ = ZeroMethod::kWrite;
  }
  if (method_ == ZeroMethod::kPunchHole) {
    if (try_fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len)) return method_;
    method_ = ZeroMethod::kZeroRange;
  }
  if (method_ == ZeroMethod::kZeroRange) {
    if (try_fallocate(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, len)) return method_;
    method_ = ZeroMethod::kWrite;
  }
  write_zeroes(offset, len);
  return method_;
}

void ReplayTarget::apply(uint64_t entry, const bb::logwrites::IndexedEntry& e, uint32_t sectorsize,
                         std::span<const uint8_t> data) {
  const uint64_t bytes = e.nr_sectors * sectorsize;
  const uint64_t offset = e.sector * sectorsize;
  try {
    if ((e.flags & bb::logwrites::kFlagDiscard) != 0) {
      zero(offset, bytes);
      return;
    }
    if ((e.flags & bb::logwrites::kFlagMark) != 0 || e.nr_sectors == 0) return;
    if (data.size() > bytes || data.size() % sectorsize != 0) {
      throw ReplayError(fmt::format("{} bytes of data for a write of {} sectors of {} bytes",
                                    data.size(), e.nr_sectors, sectorsize));
    }
    if (!data.empty()) write(offset, data);
  } catch (const ReplayError& err) {
    throw ReplayError(err.detail(), entry, e.offset);
  }
}

void ReplayTarget::sync() {
  while (::fsync(fd_.get()) != 0) {
    if (errno == EINTR) continue;
    throw ReplayError(fmt::format("fsync of {} failed: {}", path_, std::strerror(errno)));
  }
}

}  // namespace bb::replay
