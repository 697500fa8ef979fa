// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/view_dm_snapshot.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/file_descriptor.h"
#include "common/file_info.h"
#include "common/system_error.h"
#include "crashcheck/view_file.h"
#include "devmapper/devices.h"

namespace bb::crashcheck {

namespace {

// A device of one target line covering all `sectors`.
void dm_create(const std::string& name, uint64_t sectors, const std::string& type,
               const std::string& params) {
  bb::devmapper::create(name, {{0, sectors, type, params}});
}

// Returns the error on failure, "" on success. Never throws.
std::string try_dm_remove(const std::string& name) {
  // A device udev or blkid still has open is busy for a moment: remove()
  // retries that for a few seconds.
  try {
    bb::devmapper::remove(name);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

// Never throws (it runs in destructors); a failure is reported on stderr
// because it leaves a device behind.
void dm_remove(const std::string& name) {
  std::string error = try_dm_remove(name);
  if (!error.empty())
    std::fprintf(stderr, "bb-crashcheck: cannot remove %s: %s\n", name.c_str(), error.c_str());
}

class DmSnapshotView final : public View {
 public:
  DmSnapshotView(std::string name, std::string cow_file, LoopDevice cow)
      : name_(std::move(name)),
        path_("/dev/mapper/" + name_),
        cow_file_(std::move(cow_file)),
        cow_(std::move(cow)) {}
  ~DmSnapshotView() override {
    dm_remove(name_);
    cow_.reset();
    unlink(cow_file_.c_str());
  }
  const std::string& path() const override { return path_; }
  bool is_block_device() const override { return true; }

 private:
  std::string name_;
  std::string path_;
  std::string cow_file_;
  std::optional<LoopDevice> cow_;
};

namespace fs = std::filesystem;

// name, /sys/block/dm-N of each device of the run with this pid.
std::vector<std::pair<std::string, fs::path>> dm_views_in_sysfs(pid_t pid) {
  const std::string prefix = dm_view_prefix(pid) + "-";
  std::vector<std::pair<std::string, fs::path>> found;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator("/sys/block", ec)) {
    std::ifstream in(e.path() / "dm" / "name");
    std::string name;
    if (std::getline(in, name) && name.starts_with(prefix)) found.emplace_back(name, e.path());
  }
  // A device killed between its create and its table load has no
  // /sys/block entry yet (the kernel adds the disk with the first table)
  // and holds nothing: it comes with an empty path.
  try {
    for (const bb::devmapper::ListedDevice& d : bb::devmapper::list_devices()) {
      if (!d.name.starts_with(prefix)) continue;
      if (std::none_of(found.begin(), found.end(),
                       [&](const auto& f) { return f.first == d.name; })) {
        found.emplace_back(d.name, fs::path());
      }
    }
  } catch (const std::exception&) {
    // No device-mapper: what sysfs showed is all there is.
  }
  return found;
}

}  // namespace

std::string dm_view_prefix(pid_t pid) { return "bbck" + std::to_string(pid); }

std::vector<std::string> dm_views_of(pid_t pid) {
  std::vector<std::string> names;
  for (auto& [name, path] : dm_views_in_sysfs(pid)) names.push_back(std::move(name));
  return names;
}

int remove_dm_views(pid_t pid, std::vector<std::string>& problems) {
  std::vector<std::pair<std::string, fs::path>> left = dm_views_in_sysfs(pid);
  std::error_code ec;
  // A view of a view holds the view it stacks on, and every view holds
  // nothing of the origin's: remove what nothing holds, pass after pass.
  int removed = 0;
  for (bool progress = true; progress && !left.empty();) {
    progress = false;
    for (auto it = left.begin(); it != left.end();) {
      if (!it->second.empty() && !fs::is_empty(it->second / "holders", ec) && !ec) {
        ++it;
        continue;
      }
      std::string error = try_dm_remove(it->first);
      if (!error.empty()) {
        problems.push_back(fmt::format("{} ({})", it->first, error));
      } else {
        ++removed;
      }
      it = left.erase(it);
      progress = true;
    }
  }
  for (const auto& [name, path] : left)
    problems.push_back(fmt::format("{} (held by another device)", name));
  return removed;
}

DmSnapshotViewFactory::DmSnapshotViewFactory(const std::string& base, uint64_t size,
                                             std::string dir)
    : dir_(std::move(dir)), prefix_(dm_view_prefix(getpid())) {
  // Say so plainly when the kernel has no device-mapper (libdevmapper creates
  // a missing control node itself, so only a node without a driver counts).
  if (bb::common::FileDescriptor control(open("/dev/mapper/control", O_RDWR | O_CLOEXEC));
      !control && errno != ENOENT) {
    bb::common::throw_errno(
        "--view dm-snapshot needs device-mapper in the kernel: cannot open /dev/mapper/control");
  }
  if (bb::common::is_block_device(base)) {
    base_device_ = base;
  } else {
    if (access(base.c_str(), F_OK) != 0) create_image(base, size);
    base_loop_.emplace(base);
    base_device_ = base_loop_->path();
  }
  sectors_ = bb::common::file_size(base_device_) / 512;
  dm_create(prefix_ + "-origin", sectors_, "snapshot-origin", base_device_);
  origin_path_ = "/dev/mapper/" + prefix_ + "-origin";
}

DmSnapshotViewFactory::~DmSnapshotViewFactory() { dm_remove(prefix_ + "-origin"); }

std::unique_ptr<View> DmSnapshotViewFactory::snapshot_of(const std::string& device) {
  std::string n = std::to_string(counter_++);
  std::string cow_file = dir_ + "/cow-" + n + ".img";
  // The store needs room for every chunk the replay overwrites while the
  // view lives plus the check's own writes; sparse, so size is free.
  create_image(cow_file, sectors_ * 512 + (64ULL << 20));
  LoopDevice cow(cow_file);
  std::string name = prefix_ + "-" + n;
  try {
    dm_create(name, sectors_, "snapshot", device + " " + cow.path() + " N 8");
  } catch (...) {
    unlink(cow_file.c_str());
    throw;
  }
  return std::make_unique<DmSnapshotView>(name, cow_file, std::move(cow));
}

std::unique_ptr<View> DmSnapshotViewFactory::take() { return snapshot_of(base_device_); }

std::unique_ptr<View> DmSnapshotViewFactory::clone(const View& from) {
  return snapshot_of(from.path());
}

}  // namespace bb::crashcheck
