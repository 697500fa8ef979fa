// SPDX-License-Identifier: GPL-2.0-or-later
// What the reflink and copy views share: the replay target is an image file
// in a work directory, and every view is another file beside it, deleted
// when the view is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "crashcheck/view.h"

namespace bb::crashcheck {

class FileView final : public View {
 public:
  explicit FileView(std::string path) : path_(std::move(path)) {}
  ~FileView() override;
  [[nodiscard]] const std::string& path() const override { return path_; }
  bool is_block_device() const override { return false; }

 private:
  std::string path_;
};

// Names view files "<dir>/view-<n>.img", n counting up (thread-safe).
class ViewNames {
 public:
  explicit ViewNames(std::string dir) : dir_(std::move(dir)) {}
  [[nodiscard]] std::string next();

 private:
  std::string dir_;
  std::atomic<uint64_t> counter_{0};
};

// Creates `path` as a sparse file of `size` bytes if it does not exist
// (a new file reads back as zeroes, which is what a replay must start from).
void create_image(const std::string& path, uint64_t size);

}  // namespace bb::crashcheck
