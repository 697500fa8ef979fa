// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/spawn_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "common/spawn_server_protocol.h"
#include "common/system_error.h"

namespace bb::common {

namespace proto = spawn_protocol;

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds from now to `deadline`, at least 0.
int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, int64_t{1000} * 1000));
}

// One message from `fd`, waiting until `deadline`: false on EOF, an error
// or the deadline.
bool receive(int fd, proto::Message& m, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, ms_until(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t n = recv(fd, &m, sizeof m, 0);
    if (n < 0 && errno == EINTR) continue;
    return n == static_cast<ssize_t>(sizeof m);
  }
}

struct SocketPair {
  FileDescriptor ours;
  FileDescriptor theirs;
};

SocketPair make_socket_pair() {
  std::array<int, 2> fds{-1, -1};
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds.data()) != 0)
    throw SystemError(errno, "socketpair");
  return {FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

// `program` as posix_spawnp would find it in PATH, if it is an ELF
// executable: a script's main would be its interpreter's, which would take
// a run's arguments for its own. Empty otherwise.
std::string elf_program(const std::string& program) {
  std::vector<std::string> candidates;
  if (program.find('/') != std::string::npos) {
    candidates.push_back(program);
  } else {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/bin:/usr/bin";
    for (size_t at = 0; at <= dirs.size();) {
      size_t end = std::min(dirs.find(':', at), dirs.size());
      std::string dir(dirs.substr(at, end - at));
      candidates.push_back((dir.empty() ? std::string(".") : dir) + "/" + program);
      at = end + 1;
    }
  }
  for (const std::string& c : candidates) {
    if (access(c.c_str(), X_OK) != 0) continue;
    FileDescriptor fd(open(c.c_str(), O_RDONLY | O_CLOEXEC));
    std::array<char, 4> magic{};
    if (!fd || read(fd.get(), magic.data(), magic.size()) != 4) return {};
    return std::string_view(magic.data(), magic.size()) ==
                   "\x7f"
                   "ELF"
               ? c
               : "";
  }
  return {};
}

}  // namespace

std::string spawn_server_library() {
  const char* off = std::getenv("BB_SPAWN_SERVER");
  if (off != nullptr && std::string_view(off) == "0") return {};
  if (const char* lib = std::getenv("BB_SPAWN_SERVER_LIB"); lib != nullptr && *lib != '\0')
    return access(lib, R_OK) == 0 ? lib : "";
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  std::filesystem::path lib = exe.parent_path().parent_path() / "lib/blackbox/bb-spawn-server.so";
  return access(lib.c_str(), R_OK) == 0 ? lib.string() : "";
}

std::unique_ptr<SpawnServer> SpawnServer::start(const std::string& program,
                                                const std::vector<std::string>& environment,
                                                std::chrono::milliseconds ready_timeout) {
  const std::string lib = spawn_server_library();
  if (lib.empty()) return nullptr;
  const std::string path = elf_program(program);
  if (path.empty()) return nullptr;
  std::vector<std::string> env = environment;
  const char* preload = std::getenv(proto::kPreloadVariable);
  env.push_back(std::string(proto::kPreloadVariable) + "=" + lib +
                (preload != nullptr && *preload != '\0' ? std::string(":") + preload : ""));
  if (std::getenv(proto::kBindNowVariable) == nullptr) {
    env.push_back(std::string(proto::kBindNowVariable) + "=1");
    env.push_back(std::string(proto::kUnsetBindNowVariable) + "=1");
  }
  env.push_back(std::string(proto::kServerFdVariable) + "=" + std::to_string(proto::kServerFd));
  SocketPair control = make_socket_pair();
  FileDescriptor null(open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (!null) throw SystemError(errno, "/dev/null");
  // Its own output goes nowhere: what a program that is not a server
  // after all prints about its empty command line (its children print
  // into each run's pipe).
  const pid_t pid =
      spawn_child({path}, null.get(), ProcessGroup::kShared, env, control.theirs.get());
  control.theirs.reset();
  proto::Message ready{};
  if (!receive(control.ours.get(), ready, Clock::now() + ready_timeout) ||
      ready.kind != proto::kReady || ready.value != pid) {
    kill(pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return nullptr;
  }
  return std::unique_ptr<SpawnServer>(new SpawnServer(pid, std::move(control.ours)));
}

SpawnServer::~SpawnServer() {
  control_.reset();
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

ProcessResult SpawnServer::run(const std::vector<std::string>& argv,
                               std::chrono::milliseconds timeout) const {
  if (argv.empty()) throw SystemError(EINVAL, "cannot run an empty command line");
  std::string request;
  for (const std::string& a : argv) request.append(a.c_str(), a.size() + 1);
  if (request.size() > proto::kMaxRequest)
    throw SystemError(E2BIG, "cannot run " + argv[0] + " by its spawn server");
  Pipe pipe = make_pipe();
  SocketPair reply = make_socket_pair();
  {
    std::array<int, 2> fds{pipe.write.get(), reply.theirs.get()};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof fds)> control{};
    iovec iov{request.data(), request.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof fds);
    ssize_t n = 0;
    while ((n = sendmsg(control_.get(), &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    if (n < 0) throw SystemError(errno, "the spawn server of " + argv[0]);
  }
  pipe.write.reset();  // the child's, from now on
  reply.theirs.reset();
  proto::Message m{};
  if (!receive(reply.ours.get(), m, Clock::now() + std::chrono::seconds(30)) ||
      m.kind != proto::kStarted)
    throw SystemError(EPIPE, "the spawn server of " + argv[0] + " did not start it");
  if (m.value <= 0)
    throw SystemError(m.error, "cannot run " + argv[0] + ": " + errno_text(m.error));
  const pid_t pid = m.value;
  // Its kill on a timeout must not reach another process that got the pid
  // after the server reaped this one: a pidfd names this one only. (The
  // server may have reaped it already, if it was quick: then its Exited is
  // waiting on the reply socket, the loop below takes it long before the
  // deadline, and no kill is sent; its pid is reused only after many
  // more processes.)
  FileDescriptor pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));

  ProcessResult result;
  const auto deadline = Clock::now() + timeout;
  std::array<char, 8192> buf{};
  bool output_open = true;
  bool exited = false;
  while (!exited) {
    if (Clock::now() >= deadline) {
      if (pidfd) syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
      result.timed_out = true;
      break;
    }
    std::array<pollfd, 2> p{pollfd{reply.ours.get(), POLLIN, 0},
                            pollfd{output_open ? pipe.read.get() : -1, POLLIN, 0}};
    int ready = poll(p.data(), p.size(), std::min(ms_until(deadline), 100));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (p[1].revents != 0) {
      ssize_t n = read(pipe.read.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        append_bounded(result.output, buf.data(), static_cast<size_t>(n));
        continue;
      }
      output_open = false;  // EOF: the child (and whatever it started) closed it
    }
    if (p[0].revents != 0) {
      proto::Message e{};
      ssize_t n = recv(reply.ours.get(), &e, sizeof e, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n != static_cast<ssize_t>(sizeof e) || e.kind != proto::kExited) {
        result.output += "(the spawn server went away: the exit status is not known)\n";
        break;
      }
      result.exit_status = shell_status(e.value);
      exited = true;
    }
  }
  if (result.timed_out) {
    proto::Message e{};
    if (receive(reply.ours.get(), e, Clock::now() + std::chrono::seconds(30)) &&
        e.kind == proto::kExited)
      result.exit_status = shell_status(e.value);
  } else if (exited && output_open) {
    // Exited while something it started holds the pipe: take what is
    // there, and stop (as run_process does).
    append_available(pipe.read.get(), result.output);
  }
  if (result.output.size() > kMaxOutput) result.output.erase(0, result.output.size() - kMaxOutput);
  return result;
}

ProcessResult SpawnServerPool::run(const std::vector<std::string>& argv,
                                   std::chrono::milliseconds timeout,
                                   const std::vector<std::string>& environment) {
  if (argv.empty()) throw SystemError(EINVAL, "cannot run an empty command line");
  std::shared_ptr<SpawnServer> server;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Key key{argv[0], environment};
    auto it = servers_.find(key);
    if (it == servers_.end()) {
      std::shared_ptr<SpawnServer> started;
      try {
        started = SpawnServer::start(argv[0], environment);
      } catch (const SystemError&) {
        started = nullptr;  // run_process says why, below
      }
      it = servers_.emplace(std::move(key), std::move(started)).first;
    }
    server = it->second;
  }
  if (server) {
    try {
      return server->run(argv, timeout);
    } catch (const SystemError&) {
      std::lock_guard<std::mutex> lock(mutex_);
      servers_[Key{argv[0], environment}] = nullptr;  // gone: run_process from now on
    }
  }
  return run_process(argv, timeout, ProcessGroup::kShared, environment);
}

}  // namespace bb::common
