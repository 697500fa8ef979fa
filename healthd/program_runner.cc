// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/program_runner.h"

#include <cctype>
#include <exception>

#include "common/process.h"

namespace bb::healthd {

ProgramRunner::ProgramRunner(EventLog& log) : log_(log), thread_([this] { loop(); }) {}

ProgramRunner::~ProgramRunner() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void ProgramRunner::run(const std::string& program, std::chrono::milliseconds timeout,
                        const Event& event) {
  Job job{{program, event.op, event.device.empty() ? "-" : event.device,
           event.leg < 0 ? "-" : std::to_string(event.leg), event.type},
          timeout,
          event};
  {
    const std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void ProgramRunner::loop() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) {
        for (const Job& j : jobs_) {
          log_.event(
              {"program",
               "PROGRAM",
               "NOT_RUN",
               j.event.device,
               j.event.leg,
               {{"Event", j.event.op + "/" + j.event.type}, {"Why", "bb-healthd is stopping"}}});
        }
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Event e{"program",        "PROGRAM",     "",
            job.event.device, job.event.leg, {{"Event", job.event.op + "/" + job.event.type}}};
    const auto start = std::chrono::steady_clock::now();
    try {
      const bb::common::ProcessResult r =
          bb::common::run_process(job.argv, job.timeout, bb::common::ProcessGroup::kOwn);
      const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      e.type = r.timed_out ? "TIMEOUT" : "EXIT";
      e.fields.emplace_back("Status", std::to_string(r.exit_status));
      e.fields.emplace_back("Took", std::to_string(took.count()) + "ms");
      std::string out = r.output;
      while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back())) != 0)
        out.pop_back();
      if (out.size() > 200) out = out.substr(out.size() - 200);
      if (!out.empty()) e.fields.emplace_back("Output", out);
    } catch (const std::exception& ex) {
      e.type = "ERROR";
      e.fields.emplace_back("Why", ex.what());
    }
    log_.event(e);
  }
}

}  // namespace bb::healthd
