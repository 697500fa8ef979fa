// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace bb::replay {

ProgressBar::ProgressBar(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled) {}

ProgressBar::~ProgressBar() {
  if (drawn_) fmt::print(stderr, "\r\033[K");
}

bool ProgressBar::stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

void ProgressBar::update(uint64_t done, uint64_t bytes) {
  if (!enabled_) return;
  auto now = Clock::now();
  if (now - start_ < std::chrono::seconds(1) || now - last_draw_ < std::chrono::milliseconds(100))
    return;
  last_draw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double pct =
      total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / static_cast<double>(total_);
  constexpr int kWidth = 30;
  int filled = static_cast<int>(pct * kWidth / 100.0);
  fmt::print(stderr, "\r\033[K{} [{:=<{}}{:<{}}] {:5.1f}% {}/{} entries {:.1f} MiB/s", label_, "",
             filled, "", kWidth - filled, pct, done, total_,
             static_cast<double>(bytes) / (1 << 20) / secs);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace bb::replay
