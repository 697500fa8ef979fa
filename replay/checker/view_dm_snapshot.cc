#include "checker/view_dm_snapshot.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "checker/checker_error.h"
#include "checker/process.h"
#include "checker/view_file.h"

namespace bb::checker {

namespace {

void dm_create(const std::string& name, const std::string& table) {
  run_or_throw({"dmsetup", "create", name, "--table", table});
}

// Never throws (it runs in destructors); a failure is reported on stderr
// because it leaves a device behind.
void dm_remove(const std::string& name) {
  // A device udev or blkid still has open is busy for a moment: retry.
  ProcessResult r = run_process({"dmsetup", "remove", "--retry", name});
  if (r.exit_status != 0) std::fprintf(stderr, "bb-crashcheck: cannot remove %s: %s", name.c_str(), r.output.c_str());
}

class DmSnapshotView final : public View {
 public:
  DmSnapshotView(std::string name, std::string cow_file, LoopDevice cow)
      : name_(std::move(name)), path_("/dev/mapper/" + name_), cow_file_(std::move(cow_file)), cow_(std::move(cow)) {}
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

}  // namespace

DmSnapshotViewFactory::DmSnapshotViewFactory(const std::string& base, uint64_t size, std::string dir)
    : dir_(std::move(dir)), prefix_("bbck" + std::to_string(getpid())) {
  if (is_block_device(base)) {
    base_device_ = base;
  } else {
    if (access(base.c_str(), F_OK) != 0) create_image(base, size);
    base_loop_.emplace(base);
    base_device_ = base_loop_->path();
  }
  sectors_ = device_bytes(base_device_) / 512;
  dm_create(prefix_ + "-origin", "0 " + std::to_string(sectors_) + " snapshot-origin " + base_device_);
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
    dm_create(name, "0 " + std::to_string(sectors_) + " snapshot " + device + " " + cow.path() + " N 8");
  } catch (...) {
    unlink(cow_file.c_str());
    throw;
  }
  return std::make_unique<DmSnapshotView>(name, cow_file, std::move(cow));
}

std::unique_ptr<View> DmSnapshotViewFactory::take() { return snapshot_of(base_device_); }

std::unique_ptr<View> DmSnapshotViewFactory::clone(const View& from) { return snapshot_of(from.path()); }

}  // namespace bb::checker
