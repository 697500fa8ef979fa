// SPDX-License-Identifier: GPL-2.0-or-later
// One bb-crashcheck run's pipeline: the replay thread replays the log onto
// the view factory's image and takes a view at each crash point (and at the
// epoch bases that beyond-prefix states start from); workers check the
// states from a bounded queue and post verdicts to a result board, which
// hands them out in log order. States that leave the same bytes as an
// earlier one are not checked again.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "crashcheck/checker.h"
#include "crashcheck/crash_point.h"
#include "crashcheck/view.h"
#include "engine/replay_engine.h"

namespace bb::crashcheck {

// Seconds of the steady clock since `t`: the run's and each check's times.
[[nodiscard]] inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// 16 hex digits hashing every byte of `session`'s log up to the end of its
// last entry: a shard report's identity of the log.
[[nodiscard]] std::string log_digest(const replay::LogSession& session);

// Checks the states of `points` (ascending) of `session`'s log with views
// from `factory`; workers mount under `workdir`. Fills the run's counts in
// `summary` and returns the checked states' results in log order.
[[nodiscard]] std::vector<StateResult> check_states(
    const CheckerOptions& o, const replay::LogSession& session, ViewFactory& factory,
    const std::string& workdir, const std::vector<CrashPoint>& points, RunSummary& summary);

}  // namespace bb::crashcheck
