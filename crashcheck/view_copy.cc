// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/view_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/file_descriptor.h"
#include "common/file_info.h"
#include "common/system_error.h"

namespace bb::crashcheck {

namespace {

void copy_range(int in, int out, uint64_t offset, uint64_t len, const std::string& to) {
  while (len > 0) {
    auto off_in = static_cast<loff_t>(offset);
    auto off_out = static_cast<loff_t>(offset);
    ssize_t n = copy_file_range(in, &off_in, out, &off_out, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0 && errno != EXDEV && errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL) {
        bb::common::throw_errno("cannot copy into " + to);
      }
      // Fall back to read/write (block devices, cross-filesystem copies).
      std::vector<char> buf(std::min<uint64_t>(len, 1 << 20));
      ssize_t r = pread(in, buf.data(), buf.size(), static_cast<off_t>(offset));
      if (r <= 0) bb::common::throw_errno("cannot read while copying to " + to);
      if (pwrite(out, buf.data(), static_cast<size_t>(r), static_cast<off_t>(offset)) != r) {
        bb::common::throw_errno("cannot write " + to);
      }
      n = r;
    }
    offset += static_cast<uint64_t>(n);
    len -= static_cast<uint64_t>(n);
  }
}

}  // namespace

void copy_sparse(const std::string& from, const std::string& to) {
  bb::common::FileDescriptor in = bb::common::open_file(from, O_RDONLY);
  bb::common::FileDescriptor out = bb::common::open_file(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  bb::common::FileInfo info = bb::common::file_info(in.get(), from);
  const uint64_t size = info.size;
  if (ftruncate(out.get(), static_cast<off_t>(size)) != 0)
    bb::common::throw_errno("cannot size " + to);
  if (info.block_device) {
    copy_range(in.get(), out.get(), 0, size, to);
    return;
  }
  off_t pos = 0;
  while (static_cast<uint64_t>(pos) < size) {
    off_t data = lseek(in.get(), pos, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) break;  // only a hole is left
      bb::common::throw_errno("cannot seek in " + from);
    }
    off_t hole = lseek(in.get(), data, SEEK_HOLE);
    if (hole < 0) bb::common::throw_errno("cannot seek in " + from);
    copy_range(in.get(), out.get(), static_cast<uint64_t>(data), static_cast<uint64_t>(hole - data),
               to);
    pos = hole;
  }
}

CopyViewFactory::CopyViewFactory(std::string image, uint64_t size, const std::string& dir)
    : image_(std::move(image)), names_(dir) {
  if (access(image_.c_str(), F_OK) != 0) create_image(image_, size);
}

std::unique_ptr<View> CopyViewFactory::take() {
  std::string path = names_.next();
  copy_sparse(image_, path);
  return std::make_unique<FileView>(path);
}

std::unique_ptr<View> CopyViewFactory::clone(const View& from) {
  std::string path = names_.next();
  copy_sparse(from.path(), path);
  return std::make_unique<FileView>(path);
}

}  // namespace bb::crashcheck
