// SPDX-License-Identifier: GPL-2.0-or-later
// A one-line progress bar on stderr, shown only when stderr is a terminal
// and the work has already taken more than a second (quick runs and pipes
// stay quiet). Redraws at most ten times a second; erased when done.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace bb::replay {

class ProgressBar {
 public:
  ProgressBar(std::string label, uint64_t total, bool enabled);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar();

  void update(uint64_t done, uint64_t bytes);

  // True when stderr is a terminal.
  [[nodiscard]] static bool stderr_is_tty();

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
};

}  // namespace bb::replay
