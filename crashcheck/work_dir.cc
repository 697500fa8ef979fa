// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/work_dir.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "common/system_error.h"
#include "crashcheck/leftovers.h"

namespace bb::crashcheck {

namespace fs = std::filesystem;

WorkDir::WorkDir(const std::string& parent) {
  std::string tmpl = parent + "/bb-crashcheck.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr)
    bb::common::throw_errno("cannot make a work directory in " + parent);
  path_ = tmpl;
  try {
    record_owner(path_);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(path_, ec);
    throw;
  }
}

WorkDir::~WorkDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string default_workdir_parent() {
  if (access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return "/var/tmp";
}

uint64_t free_bytes(const std::string& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace bb::crashcheck
