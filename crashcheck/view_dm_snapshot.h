// SPDX-License-Identifier: GPL-2.0-or-later
// dm-snapshot views, for machines with device-mapper (the VM bench): the
// replay writes through a "snapshot-origin" device stacked on the base
// device, and every view is a non-persistent "snapshot" of the base whose
// copy-on-write store is a sparse file on a loop device. A write to the
// origin first copies the old chunk into every live snapshot, so each view
// keeps the state of its crash point while replay goes on; a check's
// writes (journal recovery) land in the view's own store. This is the
// mechanism of Josef Bacik's replay-fsck-wrapper.sh and btrfs/291.
//
//   replay --> /dev/mapper/<prefix>-origin  (snapshot-origin BASE)
//   view N --> /dev/mapper/<prefix>-<N>     (snapshot BASE COW_N N 8)
//   view of view M --> snapshot of /dev/mapper/<prefix>-M (never written)
//
// Devices are created and removed with the device-mapper client
// (devmapper/devices.h), in this process. <prefix> is "bbck<pid>",
// so that what a killed run left can be found (remove_dm_views()).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crashcheck/loop_device.h"
#include "crashcheck/view.h"

namespace bb::crashcheck {

// The name prefix of the devices of the run with this pid: "bbck<pid>".
std::string dm_view_prefix(pid_t pid);

// The names of the device-mapper devices of the run with this pid.
std::vector<std::string> dm_views_of(pid_t pid);

// Removes the device-mapper devices of the run with this pid (views of
// views before the views they stack on, the origin last), which must be
// unmounted; their COW stores' loop devices go with them if detached
// before (autoclear). Returns how many were removed; what cannot be
// removed is appended to `problems`. Never throws.
int remove_dm_views(pid_t pid, std::vector<std::string>& problems);

class DmSnapshotViewFactory final : public ViewFactory {
 public:
  // `base` is an image file (attached to a loop device here, created with
  // `size` bytes if missing) or a block device. COW stores go to `dir`.
  DmSnapshotViewFactory(const std::string& base, uint64_t size, std::string dir);
  ~DmSnapshotViewFactory() override;

  ViewKind kind() const override { return ViewKind::kDmSnapshot; }
  const std::string& replay_path() const override { return origin_path_; }
  // The loop device `base` was attached to, if it is a file.
  const LoopDevice* base_loop() const { return base_loop_ ? &*base_loop_ : nullptr; }
  std::unique_ptr<View> take() override;
  std::unique_ptr<View> clone(const View& from) override;

 private:
  std::unique_ptr<View> snapshot_of(const std::string& device);

  std::string dir_;
  std::optional<LoopDevice> base_loop_;
  std::string base_device_;
  uint64_t sectors_ = 0;  // device size in 512-byte sectors
  std::string prefix_;
  std::string origin_path_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace bb::crashcheck
