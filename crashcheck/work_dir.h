// SPDX-License-Identifier: GPL-2.0-or-later
// The checker's private work directories: made under a parent, recorded
// with their owner (leftovers.h) so a later run removes them if this one is
// killed, and removed with everything in them at the end.
#pragma once

#include <cstdint>
#include <string>

namespace bb::crashcheck {

// A private directory, removed with everything in it at the end.
class WorkDir {
 public:
  // Makes parent/bb-crashcheck.XXXXXX. Throws bb::common::SystemError.
  explicit WorkDir(const std::string& parent);
  ~WorkDir();
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  WorkDir(WorkDir&&) = delete;
  WorkDir& operator=(WorkDir&&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// /dev/shm when it is writable (views in memory), else /var/tmp.
[[nodiscard]] std::string default_workdir_parent();

// Bytes free for an unprivileged user in the filesystem of `dir` (0 if it
// cannot be asked).
[[nodiscard]] uint64_t free_bytes(const std::string& dir);

}  // namespace bb::crashcheck
