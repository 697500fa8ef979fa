// SPDX-License-Identifier: GPL-2.0-or-later
// errno_of(call): the errno a call fails with (through bb::dirtylog::Error),
// or 0 when it succeeds; how the tests check the library's error codes.
#pragma once

#include "error.h"

namespace bb::dirtylog::testing {

int errno_of(const auto& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.errno_value();
  }
  return 0;
}

}  // namespace bb::dirtylog::testing
