// Runs a program and collects what it printed: the checks' fsck tools,
// mkfs.xfs for the reflink scratch filesystem, user commands.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace bb::crashcheck {

struct ProcessResult {
  int exit_status = -1;   // exit code, or 128+signal like a shell
  bool timed_out = false;
  std::string output;     // stdout and stderr interleaved, the last kMaxOutput bytes
};

inline constexpr size_t kMaxOutput = size_t{64} * 1024;

// Runs argv[0] (looked up in PATH) with stdin from /dev/null. A run that
// outlives `timeout` is killed (SIGKILL) and reported as timed_out. Throws
// CheckerError only if the process cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::minutes(10));

// run_process, but a non-zero exit throws CheckerError with the output.
std::string run_or_throw(const std::vector<std::string>& argv);

}  // namespace bb::crashcheck
