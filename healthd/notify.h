// SPDX-License-Identifier: GPL-2.0-or-later
// systemd's service notification (sd_notify(3)'s protocol: one datagram of
// "KEY=value" lines to the unix socket in $NOTIFY_SOCKET), written here
// rather than linking libsystemd for four messages: READY=1, WATCHDOG=1,
// RELOADING=1, STOPPING=1.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bb::healthd {

class Notifier {
 public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC (with WATCHDOG_PID, if set, this
  // process's); without NOTIFY_SOCKET every send() does nothing.
  Notifier();
  void send(std::string_view state) const;
  // How often to send WATCHDOG=1: half of WATCHDOG_USEC; nullopt without a
  // watchdog.
  [[nodiscard]] std::optional<std::chrono::milliseconds> watchdog_interval() const {
    return watchdog_;
  }

 private:
  std::string socket_;
  std::optional<std::chrono::milliseconds> watchdog_;
};

}  // namespace bb::healthd
