// SPDX-License-Identifier: GPL-2.0-or-later
// The crash-point checker's own error: a problem with how a check was asked
// for or set up (bad options, a point selection that does not parse, a view
// that cannot be had). Failed system calls are bb::common::SystemError
// (they keep their errno), failed programs bb::common::ProcessError,
// problems with the log itself LogError, replay-target problems
// ReplayError; the command reports them all the same way.
#pragma once

#include <stdexcept>
#include <string>

namespace bb::crashcheck {

class CheckerError : public std::runtime_error {
 public:
  explicit CheckerError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace bb::crashcheck
