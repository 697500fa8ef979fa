// SPDX-License-Identifier: GPL-2.0-or-later
// The checker on a recording group (bb-crashcheck --group LOG=NAME ...):
// the crash points are entries of the group's global order (the FUA, FLUSH
// and mark entries of any device, per --points; --start-entry/--end-entry
// count global positions); every device is replayed once, in that order,
// onto an image of its own, and at each point every device gets a
// copy-on-write view (reflink where the work directory has it, else a
// copy) and one check runs with all of them (CheckTarget::devices).
//
// What it does not do (refused by run_group_checks and the command line):
// beyond-prefix states, --target, dm-snapshot views and kept failure
// images. --shard works: the report's log digest is each device log's,
// comma-separated, in --group order. Checks run one at a time: btrfs
// refuses two mounted filesystems of one fsid, and every view of a group
// has the same. Every prefix state is checked: there is no duplicate
// skipping.
#pragma once

#include "crashcheck/checker.h"

namespace bb::crashcheck {

// Throws LogError, bb::logwrites::GroupError (the logs are not one group),
// ReplayError or CheckerError.
[[nodiscard]] RunResult run_group_checks(const CheckerOptions& options);

}  // namespace bb::crashcheck
