// SPDX-License-Identifier: GPL-2.0-or-later
// Runs a program many times without paying its start each time: a spawn
// server is the program itself, started once with bb-spawn-server.so
// preloaded (common/spawn_server_preload.cc), that forks a child per run
// after its dynamic loading and initialisers, and the child runs the
// program's main with the run's arguments. What the child computes is the
// program's own: the same main, on the same arguments and environment;
// only the loading before main is shared. bb-crashcheck runs its check
// programs so (e2fsck, xfs_repair, btrfs check: two to three a crash
// point).
//
// Where a server cannot be started (the library is missing, the program
// is static or ignores LD_PRELOAD, BB_SPAWN_SERVER=0 in the environment)
// or has gone, SpawnServerPool::run is run_process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/file_descriptor.h"
#include "common/process.h"

namespace bb::common {

// Where bb-spawn-server.so is: $BB_SPAWN_SERVER_LIB, else
// <the executable's directory>/../lib/blackbox/bb-spawn-server.so (the
// build tree's and the installed layout); empty if there is none, or if
// BB_SPAWN_SERVER=0.
[[nodiscard]] std::string spawn_server_library();

class SpawnServer {
 public:
  // Starts `program` (looked up in PATH; an ELF executable, not a script,
  // whose main would be its interpreter's) as a server whose children get
  // `environment` (NAME=value) on top of the caller's environment, and
  // waits up to `ready_timeout` for it to say it is ready. nullptr if it
  // does not (the program is killed and reaped).
  [[nodiscard]] static std::unique_ptr<SpawnServer> start(
      const std::string& program, const std::vector<std::string>& environment,
      std::chrono::milliseconds ready_timeout = std::chrono::seconds(10));

  SpawnServer(const SpawnServer&) = delete;
  SpawnServer& operator=(const SpawnServer&) = delete;
  SpawnServer(SpawnServer&&) = delete;
  SpawnServer& operator=(SpawnServer&&) = delete;
  // Closes the server's socket: it waits for its children and exits; then
  // reaps it.
  ~SpawnServer();

  // run_process(argv, timeout, ProcessGroup::kShared) by a fork of the
  // server (argv[0] is the child's argv[0]; its main is the program's).
  // Safe to call from several threads at once. Throws SystemError if the
  // server cannot take the run (it has gone).
  [[nodiscard]] ProcessResult run(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout) const;

  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  SpawnServer(pid_t pid, FileDescriptor control) : pid_(pid), control_(std::move(control)) {}

  pid_t pid_;
  FileDescriptor control_;
};

// A server per program and environment, started at its first run; a
// program whose server cannot be started, or has gone, is run by
// run_process from then on.
class SpawnServerPool {
 public:
  [[nodiscard]] ProcessResult run(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout,
                                  const std::vector<std::string>& environment = {});

 private:
  using Key = std::pair<std::string, std::vector<std::string>>;
  std::mutex mutex_;
  std::map<Key, std::shared_ptr<SpawnServer>> servers_;  // nullptr: run_process
};

}  // namespace bb::common
