// SPDX-License-Identifier: GPL-2.0-or-later
// Checks: what runs on a view at a crash point. A check passes or fails and
// says why (the output of its steps).
//
// Built-in profiles, each a fixed list of steps run on the view's block
// device (a loop device for file views):
//   ext4   mount (replays the journal), umount, e2fsck -fn
//   xfs    mount -o nouuid (replays the log), umount, xfs_repair -n -P
//          -o bhash=N (xfs_repair refuses a dirty log, so the mount must
//          come first; nouuid because views of one filesystem are mounted
//          side by side; -P, bhash and phase2_threads make it cheaper on
//          small images without changing what it checks)
//   btrfs  btrfs check --readonly (the crash state as it is on the disk:
//          btrfs check accepts a dirty log tree but does not replay it),
//          then mount (replays the fsync log tree), umount, and
//          btrfs check --readonly again on the recovered state
// and a user command (sh -c) with {dev} (a block device), {image} (the
// view itself: a file, or the device for device views), {mnt} (an empty
// directory) and {entry} (the crash point's entry number) substituted; for
// a recording group also {dev:NAME} and {image:NAME}, the view of the
// device named NAME ({dev} and {image} are then the first device's).
// The xfs profile with an external log device (a group): the data device
// is {dev}, the log device is the one named by `xfs_logdev`; the mount
// gets logdev=, xfs_repair gets -l. The btrfs profile on a group: every
// device is one of the filesystem's; btrfs check finds them itself, the
// mount gets device= for each, and the view's devices are forgotten
// (btrfs device scan --forget) after the check.
// A step that fails ends the check: later steps do not run.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bb::crashcheck {

struct CheckTarget {
  std::string device;   // block device of the view ("" if the check needs none)
  std::string image;    // the view's path (file or device)
  std::string scratch;  // a private empty directory (mount point)
  uint64_t entry = 0;   // the crash point
  // A recording group's views, in --group order (the first is also
  // device/image above); empty for one log.
  struct Named {
    std::string name;
    std::string device;  // block device ("" if the check needs none)
    std::string image;
  };
  std::vector<Named> devices;
};

// "dev" or "image" of the device `name` of a group target; throws
// CheckerError if the target has no such device.
[[nodiscard]] const std::string& named_path(const CheckTarget& target, std::string_view name,
                                            bool device);

struct CheckOutcome {
  bool passed = false;
  std::string output;  // what the steps printed, each introduced by "$ step"
};

class Check {
 public:
  Check() = default;
  Check(const Check&) = delete;
  Check& operator=(const Check&) = delete;
  virtual ~Check() = default;

  [[nodiscard]] virtual std::string name() const = 0;
  // Everything that makes its verdicts: name, command, time limit (a
  // shard report's options; `bb-crashcheck merge` compares them).
  [[nodiscard]] virtual std::string identity() const = 0;
  virtual bool needs_block_device() const = 0;
  // Runs on any thread; must not throw for a failing filesystem (that is a
  // failed outcome), only for set-up problems (CheckerError).
  [[nodiscard]] virtual CheckOutcome run(const CheckTarget& target) const = 0;
};

// "ext4", "xfs" or "btrfs". Throws CheckerError for anything else.
// `xfs_logdev` (xfs only): the name of a group's external log device.
[[nodiscard]] std::unique_ptr<Check> make_profile_check(std::string_view fs,
                                                        std::chrono::seconds step_timeout,
                                                        std::string xfs_logdev = {});
// The device names a command's {dev:NAME} and {image:NAME} refer to.
[[nodiscard]] std::vector<std::string> command_device_names(std::string_view command);
// A shell command; needs a block device only if it contains {dev}.
[[nodiscard]] std::unique_ptr<Check> make_command_check(std::string command,
                                                        std::chrono::seconds timeout);

// The profile's steps as shell-like text, one per line (for --help, docs,
// and the xfstests-style loop, which must run the same steps).
[[nodiscard]] std::vector<std::string> profile_steps(std::string_view fs);

}  // namespace bb::crashcheck
