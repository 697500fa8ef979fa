// SPDX-License-Identifier: GPL-2.0-or-later
// bb-spawn-server.so: the server side of common/spawn_server.h, loaded
// into a check program (e2fsck, xfs_repair, btrfs) by LD_PRELOAD. It takes
// the program's place of main: once the dynamic loader has mapped and
// relocated the program and its libraries and their initialisers have run,
// it forks a child per request, and the child runs the program's own main
// with the request's arguments. A child so made skips what a start costs
// where page faults and TLB flushes are dear (on a PVM guest the loading
// alone was 40 % of a `btrfs check` of a crash-test image).
//
// Without kServerFdVariable in the environment it is not a server: main
// runs as usual. Protocol: common/spawn_server_protocol.h. Only
// __libc_start_main is exported; the library uses no C++ runtime (it is
// built without exceptions and RTTI) and allocates nothing.
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "common/spawn_server_protocol.h"

namespace {

namespace proto = bb::common::spawn_protocol;

using MainFunction = int (*)(int, char**, char**);
using StartMain = int (*)(MainFunction, int, char**, void (*)(), void (*)(), void (*)(), void*);

MainFunction program_main = nullptr;

// Children still running: pid and reply socket. A request beyond the
// table is refused (Started with pid 0, EAGAIN).
constexpr int kMaxChildren = 256;
struct Child {
  pid_t pid;
  int reply;
};
Child children[kMaxChildren];  // NOLINT(cppcoreguidelines-avoid-c-arrays): no C++ runtime here
int child_count = 0;

void send_message(int fd, uint32_t kind, int32_t value, int32_t error) {
  proto::Message m{kind, value, error};
  while (send(fd, &m, sizeof m, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// The request being taken, and the child's argument vector (a child has
// a copy of both): static, so that the server allocates nothing.
char request[proto::kMaxRequest];              // NOLINT(cppcoreguidelines-avoid-c-arrays)
char* child_argv[proto::kMaxRequest / 2 + 1];  // NOLINT(cppcoreguidelines-avoid-c-arrays)

// The child: the program's main with the `len` bytes of arguments in
// `request`.
[[noreturn]] void run_child(int output, size_t len, const sigset_t& old_mask) {
  dup2(output, STDOUT_FILENO);
  dup2(output, STDERR_FILENO);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null >= 0) dup2(null, STDIN_FILENO);
  close_range(3, ~0U, 0);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) signal(sig, SIG_DFL);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  int argc = 0;
  for (size_t at = 0; at < len; at += strlen(&request[at]) + 1) child_argv[argc++] = &request[at];
  child_argv[argc] = nullptr;
  exit(program_main(argc, child_argv, environ));
}

// Takes one request from `server`; false when the client has gone.
bool take_request(int server, const sigset_t& old_mask) {
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};  // NOLINT
  iovec iov{request, sizeof request};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = 0;
  while ((n = recvmsg(server, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  int fds[2] = {-1, -1};  // NOLINT(cppcoreguidelines-avoid-c-arrays)
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c != nullptr && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
      c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
    memcpy(fds, CMSG_DATA(c), sizeof fds);
  if (n <= 0) {
    for (int fd : fds)
      if (fd >= 0) close(fd);
    return false;  // the client has gone (or its socket broke)
  }
  const int output = fds[0];
  const int reply = fds[1];
  const auto len = static_cast<size_t>(n);
  const bool well_formed = output >= 0 && reply >= 0 && request[len - 1] == '\0' &&
                           (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0;
  if (!well_formed || child_count == kMaxChildren) {
    if (reply >= 0) send_message(reply, proto::kStarted, 0, well_formed ? EAGAIN : EINVAL);
    for (int fd : fds)
      if (fd >= 0) close(fd);
    return true;
  }
  pid_t pid = fork();
  if (pid == 0) run_child(output, len, old_mask);
  const int err = errno;
  close(output);
  if (pid < 0) {
    send_message(reply, proto::kStarted, 0, err);
    close(reply);
    return true;
  }
  send_message(reply, proto::kStarted, pid, 0);
  children[child_count++] = Child{pid, reply};
  return true;
}

// Reaps children that have exited (all of them, waiting, if `wait`).
void reap(bool wait) {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, wait ? 0 : WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    for (int i = 0; i < child_count; ++i) {
      if (children[i].pid != pid) continue;
      send_message(children[i].reply, proto::kExited, status, 0);
      close(children[i].reply);
      children[i] = children[--child_count];
      break;
    }
  }
}

int serve(int server) {
  // The client's signals are for the client and the checks: the server
  // goes when the client closes its end.
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigset_t old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old_mask);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return 127;
  send_message(server, proto::kReady, getpid(), 0);
  for (;;) {
    pollfd p[2] = {{server, POLLIN, 0},
                   {sfd, POLLIN, 0}};  // NOLINT(cppcoreguidelines-avoid-c-arrays)
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if ((p[1].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (read(sfd, &info, sizeof info) > 0) {
      }
      reap(false);
    }
    if (p[0].revents != 0 && !take_request(server, old_mask)) break;
  }
  reap(true);
  return 0;
}

int server_main(int argc, char** argv, char** envp) {
  const char* fd_text = getenv(proto::kServerFdVariable);
  if (fd_text == nullptr) return program_main(argc, argv, envp);
  const int server = atoi(fd_text);  // NOLINT(cert-err34-c): checked below
  unsetenv(proto::kServerFdVariable);
  unsetenv(proto::kPreloadVariable);
  if (getenv(proto::kUnsetBindNowVariable) != nullptr) {
    unsetenv(proto::kUnsetBindNowVariable);
    unsetenv(proto::kBindNowVariable);
  }
  if (server != proto::kServerFd || fcntl(server, F_GETFD) < 0) return 127;
  fcntl(server, F_SETFD, FD_CLOEXEC);
  _exit(serve(server));
}

}  // namespace

// glibc's entry to main, which this library stands in for (the NOLINT:
// the name is glibc's).
// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
extern "C" __attribute__((visibility("default"))) int __libc_start_main(MainFunction main, int argc,
                                                                        char** argv, void (*init)(),
                                                                        void (*fini)(),
                                                                        void (*rtld_fini)(),
                                                                        void* stack_end) {
  auto start = reinterpret_cast<StartMain>(dlsym(RTLD_NEXT, "__libc_start_main"));  // NOLINT
  if (start == nullptr) _exit(127);
  program_main = main;
  return start(server_main, argc, argv, init, fini, rtld_fini, stack_end);
}
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
