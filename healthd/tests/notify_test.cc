// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/file_descriptor.h"

namespace bb::healthd {
namespace {

// What systemd would receive: a datagram on the socket in NOTIFY_SOCKET.
TEST(Notifier, SendsToNotifySocketAndHalvesTheWatchdog) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("healthd-notify-" + std::to_string(getpid())))
          .string();
  const bb::common::FileDescriptor sock(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(sock);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ::unlink(path.c_str());
  ASSERT_EQ(bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  setenv("WATCHDOG_USEC", "30000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  const Notifier n;
  ASSERT_TRUE(n.watchdog_interval());
  EXPECT_EQ(*n.watchdog_interval(), std::chrono::seconds(15));
  n.send("WATCHDOG=1");
  char buf[64] = {};
  const auto got = recv(sock.get(), buf, sizeof(buf) - 1, MSG_DONTWAIT);
  EXPECT_EQ(std::string(buf, got > 0 ? static_cast<size_t>(got) : 0), "WATCHDOG=1");
  // A watchdog meant for another process is not ours.
  setenv("WATCHDOG_PID", "1", 1);
  EXPECT_FALSE(Notifier().watchdog_interval());
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  const Notifier none;
  none.send("READY=1");  // no socket: nothing, no error
  EXPECT_FALSE(none.watchdog_interval());
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace bb::healthd
