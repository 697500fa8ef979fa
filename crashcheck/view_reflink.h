// SPDX-License-Identifier: GPL-2.0-or-later
// Reflink views: every view is a FICLONE of the image file, so it shares
// all extents with the replay target and costs O(extents), not O(bytes)
// (about 4 ms for a 256 MiB image with few extents). Needs the image and
// the views on one filesystem with reflink (XFS with reflink=1, btrfs).
//
// Where the work directory has no reflink, ReflinkScratch makes one: a
// sparse file (in /dev/shm when there is room, so fsync at every crash
// point is cheap) formatted with mkfs.xfs -m reflink=1, attached to a loop
// device and mounted inside the work directory. Needs root.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "crashcheck/loop_device.h"
#include "crashcheck/view.h"
#include "crashcheck/view_file.h"

namespace bb::crashcheck {

// True if files in `dir` can be cloned with FICLONE (tries it on a probe file).
[[nodiscard]] bool supports_reflink(const std::string& dir);

// FICLONE `from` onto a new file `to`. Throws bb::common::SystemError.
void reflink_file(const std::string& from, const std::string& to);

class ReflinkScratch {
 public:
  // Makes a `size`-byte sparse XFS image in `backing_dir` and mounts it on
  // `mount_dir` (created). Throws bb::common::SystemError or ProcessError.
  ReflinkScratch(const std::string& backing_dir, std::string mount_dir, uint64_t size);
  ReflinkScratch(const ReflinkScratch&) = delete;
  ReflinkScratch& operator=(const ReflinkScratch&) = delete;
  // Unmounts, detaches and deletes the backing file.
  ~ReflinkScratch();

  [[nodiscard]] const std::string& dir() const { return mount_dir_; }
  const std::string& image() const { return backing_; }

 private:
  std::string backing_;
  std::string mount_dir_;
  std::optional<LoopDevice> loop_;
  bool mounted_ = false;
};

class ReflinkViewFactory final : public ViewFactory {
 public:
  // Replays onto `image` (created if missing, `size` bytes); views go to
  // `dir`, which must be on the image's filesystem and support reflink.
  ReflinkViewFactory(std::string image, uint64_t size, const std::string& dir);

  [[nodiscard]] ViewKind kind() const override { return ViewKind::kReflink; }
  const std::string& replay_path() const override { return image_; }
  [[nodiscard]] bool take_needs_sync() const override { return false; }
  std::unique_ptr<View> take() override;
  [[nodiscard]] std::unique_ptr<View> clone(const View& from) override;

 private:
  std::string image_;
  ViewNames names_;
};

}  // namespace bb::crashcheck
