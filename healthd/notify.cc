// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common/file_descriptor.h"

namespace bb::healthd {

Notifier::Notifier() {
  if (const char* s = std::getenv("NOTIFY_SOCKET")) socket_ = s;
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (usec != nullptr && (pid == nullptr || std::strtoll(pid, nullptr, 10) == getpid())) {
    const long long us = std::strtoll(usec, nullptr, 10);
    if (us > 0) watchdog_ = std::chrono::milliseconds(std::max(1LL, us / 2000));
  }
}

void Notifier::send(std::string_view state) const {
  if (socket_.empty() || (socket_[0] != '/' && socket_[0] != '@')) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof(addr.sun_path)) return;
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (socket_[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  const bb::common::FileDescriptor fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return;
  (void)sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), len);
}

}  // namespace bb::healthd
