// The one error type of the crash-point checker: a problem setting up or
// running a check (views, loop devices, mounts, processes, bad options).
// Problems with the log itself stay LogError, replay-target problems
// ReplayError; the command reports all three the same way.
#pragma once

#include <sys/types.h>

#include <stdexcept>
#include <string>

#include "format/log_source.h"

namespace bb::crashcheck {

class CheckerError : public std::runtime_error {
 public:
  explicit CheckerError(const std::string& what) : std::runtime_error(what) {}
};

// "<what>: <strerror(errno)>", for failed system calls.
[[noreturn]] void throw_errno(const std::string& what);

// open(2) with O_CLOEXEC, owned; throws "cannot open <path>[ <why>]: ...".
bb::logwrites::FileDescriptor open_file(const std::string& path, int flags, mode_t mode = 0,
                                        const std::string& why = "");

// Whether `path` names a block device (false if it cannot be stat()ed).
bool is_block_device(const std::string& path);
// The size of block device `device` in bytes (BLKGETSIZE64). Throws.
uint64_t device_bytes(const std::string& device);

}  // namespace bb::crashcheck
