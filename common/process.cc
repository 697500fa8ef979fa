// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string_view>

#include "common/file_descriptor.h"
#include "common/system_error.h"

namespace bb::common {

namespace {

// Held shared while a child is being spawned (posix_spawn returns once the
// child has closed our descriptors and exec'd), exclusively while a
// descriptor whose claim must end at its close is open.
std::shared_mutex& spawn_mutex() {
  static std::shared_mutex mutex;
  return mutex;
}

// Reaps `pid` (waitpid with `options`: 0 waits, WNOHANG does not): true
// once it has exited, with its status in `exit_status`.
bool reap(pid_t pid, int options, int& exit_status) {
  int status = 0;
  pid_t r = 0;
  while ((r = waitpid(pid, &status, options)) < 0 && errno == EINTR) {
  }
  if (r != pid) return false;
  exit_status = shell_status(status);
  return true;
}

// posix_spawn's attribute and file-action objects, destroyed on scope exit.
class SpawnSetup {
 public:
  SpawnSetup(int output_fd, ProcessGroup group, int pass_fd) {
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions_, output_fd, 1);
    posix_spawn_file_actions_adddup2(&actions_, output_fd, 2);
    if (pass_fd >= 0) posix_spawn_file_actions_adddup2(&actions_, pass_fd, 3);
    // Nothing else of ours reaches the child: not the capture pipe, not a
    // descriptor a library opened without O_CLOEXEC (libdevmapper's
    // /dev/mapper/control is one).
    posix_spawn_file_actions_addclosefrom_np(&actions_, pass_fd >= 0 ? 4 : 3);
    // The caller may block signals to take them on a thread of its own
    // (bb-crashcheck does, for SIGINT, SIGTERM and SIGHUP); its
    // processes get them as usual.
    posix_spawnattr_init(&attr_);
    sigset_t none;
    sigset_t defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (group == ProcessGroup::kOwn) {
      posix_spawnattr_setpgroup(&attr_, 0);  // a group of its own, led by it
      flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&attr_, flags);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  SpawnSetup(SpawnSetup&&) = delete;
  SpawnSetup& operator=(SpawnSetup&&) = delete;
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }

  [[nodiscard]] const posix_spawn_file_actions_t* actions() const { return &actions_; }
  [[nodiscard]] const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attr_{};
};

// The caller's environment with `overrides` (NAME=value) set; the
// pointers are into `environ` and `overrides`.
std::vector<char*> child_environment(const std::vector<std::string>& overrides) {
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool overridden =
        std::any_of(overrides.begin(), overrides.end(), [&](const std::string& o) {
          const size_t eq = o.find('=');
          return eq != std::string::npos &&
                 entry.substr(0, eq + 1) == std::string_view(o).substr(0, eq + 1);
        });
    if (!overridden) env.push_back(*e);
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): posix_spawn's envp type
  for (const std::string& o : overrides) env.push_back(const_cast<char*>(o.c_str()));
  env.push_back(nullptr);
  return env;
}

}  // namespace

void append_bounded(std::string& out, const char* data, size_t n) {
  out.append(data, n);
  if (out.size() > 2 * kMaxOutput) out.erase(0, out.size() - kMaxOutput);
}

void append_available(int fd, std::string& out) {
  if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) return;
  std::array<char, 8192> buf{};
  ssize_t n = 0;
  while ((n = read(fd, buf.data(), buf.size())) > 0)
    append_bounded(out, buf.data(), static_cast<size_t>(n));
}

int shell_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t spawn_child(const std::vector<std::string>& argv, int output_fd, ProcessGroup group,
                  const std::vector<std::string>& environment, int pass_fd) {
  if (argv.empty()) throw SystemError(EINVAL, "cannot run an empty command line");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): posix_spawn's argv type
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = 0;
  {
    std::shared_lock<std::shared_mutex> spawning(spawn_mutex());
    SpawnSetup setup(output_fd, group, pass_fd);
    if (environment.empty()) {
      rc = posix_spawnp(&pid, args[0], setup.actions(), setup.attr(), args.data(), environ);
    } else {
      std::vector<char*> env = child_environment(environment);
      rc = posix_spawnp(&pid, args[0], setup.actions(), setup.attr(), args.data(), env.data());
    }
  }
  if (rc != 0) throw SystemError(rc, "cannot run " + argv[0] + ": " + errno_text(rc));
  return pid;
}

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          ProcessGroup group, const std::vector<std::string>& environment) {
  if (argv.empty()) throw SystemError(EINVAL, "cannot run an empty command line");
  Pipe pipe = make_pipe();
  const pid_t pid = spawn_child(argv, pipe.write.get(), group, environment);
  pipe.write.reset();  // the child holds the write end; EOF comes when it exits
  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 8192> buf{};
  bool exited = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(group == ProcessGroup::kOwn ? -pid : pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    pollfd p{pipe.read.get(), POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    if (ready < 0 && errno != EINTR) break;
    if (ready > 0) {
      ssize_t n = read(pipe.read.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      append_bounded(result.output, buf.data(), static_cast<size_t>(n));
      continue;
    }
    // Nothing to read: a child that exited may have left a process that
    // holds the pipe open. Take what it wrote before exiting, and stop.
    if (reap(pid, WNOHANG, result.exit_status)) {
      exited = true;
      append_available(pipe.read.get(), result.output);
      break;
    }
  }
  pipe.read.reset();
  // -1: the child was reaped by someone else (a SIGCHLD handler set to
  // SIG_IGN, say); its status is unknown, which is not a success.
  if (!exited && !reap(pid, 0, result.exit_status)) result.exit_status = -1;
  if (result.output.size() > kMaxOutput) result.output.erase(0, result.output.size() - kMaxOutput);
  return result;
}

bool can_open_exclusively(const std::string& device) {
  std::lock_guard<std::shared_mutex> no_spawn(spawn_mutex());
  FileDescriptor fd(open(device.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC));
  return static_cast<bool>(fd);
}

std::string run_or_throw(const std::vector<std::string>& argv) {
  ProcessResult r = run_process(argv);
  if (r.exit_status != 0 || r.timed_out) {
    std::string cmd;
    for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    throw ProcessError(cmd + " failed (exit " + std::to_string(r.exit_status) + "): " + r.output);
  }
  return r.output;
}

}  // namespace bb::common
