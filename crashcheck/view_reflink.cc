// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/view_reflink.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <utility>

#include "common/file_descriptor.h"
#include "common/process.h"
#include "common/system_error.h"
#include "crashcheck/error.h"

namespace bb::crashcheck {

namespace {

// Returns errno of the FICLONE (0 on success); `to` is created.
int try_clone(const std::string& from, const std::string& to) {
  bb::common::FileDescriptor in = bb::common::open_file(from, O_RDONLY);
  bb::common::FileDescriptor out(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) bb::common::throw_errno("cannot create " + to);
  return ioctl(out.get(), FICLONE, in.get()) == 0 ? 0 : errno;
}

}  // namespace

bool supports_reflink(const std::string& dir) {
  std::string a = dir + "/.reflink-probe-a", b = dir + "/.reflink-probe-b";
  bool wrote = false;
  {
    bb::common::FileDescriptor fd(open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return false;
    char block[4096] = {1};
    wrote = write(fd.get(), block, sizeof block) == static_cast<ssize_t>(sizeof block);
  }
  bool ok = false;
  try {
    ok = wrote && try_clone(a, b) == 0;
  } catch (const std::exception&) {  // the reflink ioctl failed
    ok = false;
  }
  unlink(a.c_str());
  unlink(b.c_str());
  return ok;
}

void reflink_file(const std::string& from, const std::string& to) {
  if (int err = try_clone(from, to); err != 0) {
    unlink(to.c_str());
    errno = err;
    bb::common::throw_errno("cannot reflink " + from + " to " + to);
  }
}

ReflinkScratch::ReflinkScratch(const std::string& backing_dir, std::string mount_dir, uint64_t size)
    : backing_(backing_dir + "/bb-crashcheck-scratch-" + std::to_string(getpid()) + ".xfs"),
      mount_dir_(std::move(mount_dir)) {
  create_image(backing_, size);
  try {
    // -K: no discard of the (sparse) backing file; small log: the scratch
    // holds a handful of big files.
    bb::common::run_or_throw(
        {"mkfs.xfs", "-q", "-f", "-K", "-m", "reflink=1", "-l", "size=64m", backing_});
    loop_.emplace(backing_);
    std::filesystem::create_directories(mount_dir_);
    if (mount(loop_->path().c_str(), mount_dir_.c_str(), "xfs", 0, "") != 0) {
      bb::common::throw_errno("cannot mount the reflink scratch filesystem on " + mount_dir_);
    }
    mounted_ = true;
  } catch (...) {
    loop_.reset();
    unlink(backing_.c_str());
    throw;
  }
}

ReflinkScratch::~ReflinkScratch() {
  if (mounted_ && umount2(mount_dir_.c_str(), 0) != 0) umount2(mount_dir_.c_str(), MNT_DETACH);
  loop_.reset();
  unlink(backing_.c_str());
  rmdir(mount_dir_.c_str());
}

ReflinkViewFactory::ReflinkViewFactory(std::string image, uint64_t size, const std::string& dir)
    : image_(std::move(image)), names_(dir) {
  if (access(image_.c_str(), F_OK) != 0) create_image(image_, size);
  if (!supports_reflink(dir))
    throw CheckerError("no reflink (FICLONE) in " + dir + "; use --view copy");
}

std::unique_ptr<View> ReflinkViewFactory::take() {
  std::string path = names_.next();
  reflink_file(image_, path);
  return std::make_unique<FileView>(path);
}

std::unique_ptr<View> ReflinkViewFactory::clone(const View& from) {
  std::string path = names_.next();
  reflink_file(from.path(), path);
  return std::make_unique<FileView>(path);
}

}  // namespace bb::crashcheck
