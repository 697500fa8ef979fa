// SPDX-License-Identifier: GPL-2.0-or-later
// The states waiting for a checking worker, in a bounded queue.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "crashcheck/crash_point.h"
#include "crashcheck/crash_state.h"
#include "crashcheck/view.h"

namespace bb::crashcheck {

// One state to check. A prefix state owns its view; a variant shares the
// view of its epoch base and clones it.
struct Job {
  uint64_t seq = 0;
  CrashPoint point;
  StateVariant variant;
  std::shared_ptr<View> view;
  std::shared_ptr<const Epoch> epoch;
};

// Jobs waiting for a worker; bounded so views do not pile up when checks
// are slower than the replay.
class JobQueue {
 public:
  explicit JobQueue(size_t capacity) : capacity_(capacity) {}
  void push(Job job) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return jobs_.size() < capacity_; });
    jobs_.push_back(std::move(job));
    ready_.notify_one();
  }
  [[nodiscard]] std::optional<Job> pop() {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !jobs_.empty() || closed_; });
    if (jobs_.empty()) return std::nullopt;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    room_.notify_one();
    return job;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    ready_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<Job> jobs_;
  size_t capacity_;
  bool closed_ = false;
};

}  // namespace bb::crashcheck
