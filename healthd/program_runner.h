// SPDX-License-Identifier: GPL-2.0-or-later
// The user's program, run once per event as mdadm --monitor runs its
// PROGRAM: `<program> <OpMsg> <device or -> <leg or -> <Type>`, on a thread of
// its own (one run at a time, in event order) so that a slow program never
// delays a probe or an action; each run is killed past its timeout and its
// end is logged (OpMsg=PROGRAM).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "healthd/event_log.h"

namespace bb::healthd {

class ProgramRunner {
 public:
  explicit ProgramRunner(EventLog& log);
  ProgramRunner(const ProgramRunner&) = delete;
  ProgramRunner& operator=(const ProgramRunner&) = delete;
  ProgramRunner(ProgramRunner&&) = delete;
  ProgramRunner& operator=(ProgramRunner&&) = delete;
  // Lets the run in progress finish (or time out); runs still queued are
  // logged as not run.
  ~ProgramRunner();

  void run(const std::string& program, std::chrono::milliseconds timeout, const Event& event);

 private:
  struct Job {
    std::vector<std::string> argv;
    std::chrono::milliseconds timeout{};
    Event event;
  };
  void loop();

  EventLog& log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bb::healthd
