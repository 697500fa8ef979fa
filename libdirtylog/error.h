// SPDX-License-Identifier: GPL-2.0-or-later
// The one error type of libdirtylog: bb::common::SystemError.
//
// Every failure carries a positive errno value so that the daemon can send
// it back to the kernel unchanged (as -errno in dm_ulog_request.error) and a
// sentence a user can act on. Failed system calls throw it through
// bb::common::throw_errno ("<what>: <strerror>").
#pragma once

#include "common/system_error.h"

namespace bb::dirtylog {

using Error = bb::common::SystemError;

}  // namespace bb::dirtylog
