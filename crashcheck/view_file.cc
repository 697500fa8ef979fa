// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/view_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_descriptor.h"
#include "common/system_error.h"

namespace bb::crashcheck {

FileView::~FileView() { unlink(path_.c_str()); }

std::string ViewNames::next() { return dir_ + "/view-" + std::to_string(counter_++) + ".img"; }

void create_image(const std::string& path, uint64_t size) {
  bb::common::FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) bb::common::throw_errno("cannot create image " + path);
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
    bb::common::throw_errno("cannot size image " + path);
}

}  // namespace bb::crashcheck
