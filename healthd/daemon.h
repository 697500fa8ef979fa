// SPDX-License-Identifier: GPL-2.0-or-later
// bb-healthd's main loop: one thread that sleeps in poll(2) on
// /dev/mapper/control (armed for every dm event), the probes' eventfd and
// a signalfd, wakes for the next probe, probe deadline, policy tick or
// watchdog ping, and between wake-ups reads every watched device's table
// and status, starts and times probes, and carries out the policy's
// decisions (log, target message, user program).
#pragma once

#include <string>
#include <vector>

#include "healthd/config.h"

namespace bb::healthd {

struct DaemonOptions {
  std::string config_path;         // reread on SIGHUP
  bool config_missing_ok = true;   // the default path may be absent
  std::vector<std::string> names;  // only these devices (empty: every one of ours)
};

// Runs until SIGTERM or SIGINT; returns the exit status (0 after a clean
// END). Errors that stop the start (log directory, device-mapper control)
// are printed to stderr and return 1.
int run_daemon(const DaemonOptions& options, const Config& config);

}  // namespace bb::healthd
