// SPDX-License-Identifier: GPL-2.0-or-later
// Copy views: every view is a sparse copy of the image file (only the
// allocated ranges are copied, found with SEEK_DATA/SEEK_HOLE). Works on
// any filesystem; costs O(allocated bytes) per view, so it is the fallback
// when reflink is unavailable. copy_file_range() is used, which filesystems
// with reflink may turn into a clone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "crashcheck/view.h"
#include "crashcheck/view_file.h"

namespace bb::crashcheck {

// Copies `from` (a file, or a block device: then every byte is copied) to
// a new file `to` of the same size, keeping holes. Throws bb::common::SystemError.
void copy_sparse(const std::string& from, const std::string& to);

class CopyViewFactory final : public ViewFactory {
 public:
  // Replays onto `image` (created if missing, `size` bytes); views go to `dir`.
  CopyViewFactory(std::string image, uint64_t size, const std::string& dir);

  [[nodiscard]] ViewKind kind() const override { return ViewKind::kCopy; }
  const std::string& replay_path() const override { return image_; }
  [[nodiscard]] bool take_needs_sync() const override { return false; }
  std::unique_ptr<View> take() override;
  [[nodiscard]] std::unique_ptr<View> clone(const View& from) override;

 private:
  std::string image_;
  ViewNames names_;
};

}  // namespace bb::crashcheck
