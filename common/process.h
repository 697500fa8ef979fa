// SPDX-License-Identifier: GPL-2.0-or-later
// Runs a program and collects what it printed (fsck tools, mkfs, user
// commands), with a timeout.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace bb::common {

struct ProcessResult {
  int exit_status = -1;  // exit code, or 128+signal like a shell
  bool timed_out = false;
  std::string output;  // stdout and stderr interleaved, the last kMaxOutput bytes
};

inline constexpr size_t kMaxOutput = size_t{64} * 1024;

// Runs argv[0] (looked up in PATH) with stdin from /dev/null. A run that
// outlives `timeout` is killed (SIGKILL) and reported as timed_out. The
// child gets SIGINT, SIGTERM, SIGHUP and SIGPIPE with their default action
// and no signal blocked, whatever the caller blocks. The run ends when the
// child exits, even if a process it left behind still holds its output
// (what that one prints later is not collected). Throws SystemError only
// if the process cannot be started.
//
// ProcessGroup::kOwn starts the child in a process group of its own, and a
// timeout kills that whole group, so that nothing a user's script started
// outlives it (bb-healthd's program); such a child no longer gets the
// terminal's Ctrl-C. kShared leaves it in the caller's group (the tools of
// bb-crashcheck, which a Ctrl-C stops with it).
//
// `environment`: NAME=value entries the child gets on top of (or instead
// of the same names in) the caller's environment.
enum class ProcessGroup : uint8_t { kShared, kOwn };

[[nodiscard]] ProcessResult run_process(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::minutes(10),
    ProcessGroup group = ProcessGroup::kShared, const std::vector<std::string>& environment = {});

// A wait status as a shell's $?: the exit code, 128+signal, or -1.
[[nodiscard]] int shell_status(int status);

// Appends `n` bytes of a child's output to `out`, keeping about the last
// kMaxOutput bytes (the caller cuts to exactly kMaxOutput at the end).
void append_bounded(std::string& out, const char* data, size_t n);

// Appends (append_bounded) what `fd`, a child's output, holds now, without
// waiting for more: for a child that has exited while something it started
// still holds the output open. Leaves `fd` non-blocking.
void append_available(int fd, std::string& out);

// The low part of run_process: starts argv[0] (looked up in PATH) with
// stdin from /dev/null, stdout and stderr on `output_fd`, the signal set-up
// and `environment` of run_process, and no descriptor of the caller's but
// `pass_fd`, which the child gets as descriptor 3 (none if negative).
// Returns its pid; the caller reaps it. Throws SystemError if it cannot be
// started.
[[nodiscard]] pid_t spawn_child(const std::vector<std::string>& argv, int output_fd,
                                ProcessGroup group, const std::vector<std::string>& environment,
                                int pass_fd = -1);

// Whether `device` (a block device) can be opened exclusively now (O_EXCL:
// no filesystem mounted on it, no other exclusive opener). The claim is
// let go before this returns: no child that run_process starts meanwhile
// inherits the descriptor. A child holds a copy of every descriptor from
// its clone until it closes them on its way to exec, and a copy of this
// one would keep the claim, and make a mount of the device right after
// this call fail EBUSY, for as long as that child takes to get there
// (seen under load: a check's mount failed on a view nothing else held).
[[nodiscard]] bool can_open_exclusively(const std::string& device);

// A program that exited non-zero or timed out, under run_or_throw.
class ProcessError : public std::runtime_error {
 public:
  explicit ProcessError(const std::string& what) : std::runtime_error(what) {}
};

// run_process, but a non-zero exit or a timeout throws ProcessError
// "<command line> failed (exit N): <output>". Returns the output.
std::string run_or_throw(const std::vector<std::string>& argv);

}  // namespace bb::common
