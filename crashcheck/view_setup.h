// SPDX-License-Identifier: GPL-2.0-or-later
// Where a check's views live: the work directory, maybe a reflink scratch
// filesystem or a directory beside a --target image, and the view factory
// that fits (--view and what the filesystems offer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crashcheck/checker.h"
#include "crashcheck/view.h"
#include "crashcheck/view_reflink.h"
#include "crashcheck/work_dir.h"

namespace bb::crashcheck {

// Everything the views need to exist: the work directory, maybe a reflink
// scratch filesystem or a directory for views beside a --target image, and
// the factory. Destroyed in reverse order.
struct ViewSetup {
  std::unique_ptr<WorkDir> work;
  std::unique_ptr<ReflinkScratch> scratch;
  std::unique_ptr<WorkDir> beside_target;
  std::unique_ptr<ViewFactory> factory;

  void reset() {
    factory.reset();
    beside_target.reset();
    scratch.reset();
    work.reset();
  }
};

// Makes the views' home for options `o` and images of `image_size` bytes;
// what it chose instead of what was asked, and leftovers it removed, go to
// `notes`. Throws CheckerError, bb::common::SystemError or ProcessError.
[[nodiscard]] ViewSetup make_views(const CheckerOptions& o, uint64_t image_size,
                                   std::vector<std::string>& notes);

}  // namespace bb::crashcheck
