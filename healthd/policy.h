// SPDX-License-Identifier: GPL-2.0-or-later
// bb-healthd's policy: what to do about what it sees. Pure: it is given the
// devices' status, the probes' results and the time (a steady clock the
// tests fake), and returns decisions — an event to log, maybe a message
// for the target, maybe a run of the user's program. It never touches a
// device. docs/bb-healthd.md has the event table this implements.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "devmapper/target_status.h"
#include "healthd/config.h"
#include "healthd/event_log.h"

namespace bb::healthd {

using Clock = std::chrono::steady_clock;

enum class ProbeOutcome : uint8_t { kSuccess, kTimeout, kError };

struct ProbeResult {
  ProbeOutcome outcome = ProbeOutcome::kSuccess;
  std::chrono::milliseconds latency{0};  // kSuccess, kError: how long it took
  int error = 0;                         // kError: errno
  uint64_t sector = 0;                   // where the leg was read
};

// A target message to send: `dmsetup message <device> 0 <text>`.
struct Command {
  std::string device;
  int leg = -1;
  std::string text;  // "fail_leg 1", "readd_leg 1"

  bool operator==(const Command&) const = default;
};

struct Decision {
  Event event;                     // always logged
  std::optional<Command> command;  // sent (never in observe_only)
  bool run_program = false;        // the user's program gets the event
};

class Policy {
 public:
  explicit Policy(Config config) : config_(std::move(config)) {}
  // A reread configuration: limits and timeouts apply from now on; what
  // was seen and counted is kept.
  void set_config(Config config) { config_ = std::move(config); }

  // The status of device `device`, as devmapper/target_status parses it.
  [[nodiscard]] std::vector<Decision> observe(const std::string& device,
                                              const devmapper::MirrorStatus& status,
                                              Clock::time_point now);
  [[nodiscard]] std::vector<Decision> observe(const std::string& device,
                                              const devmapper::LogWritesStatus& status,
                                              Clock::time_point now);
  // The device is gone (removed, or its table no longer ours).
  [[nodiscard]] std::vector<Decision> gone(const std::string& device);
  [[nodiscard]] std::vector<Decision> probe(const std::string& device, int leg,
                                            const ProbeResult& result, Clock::time_point now);
  // Time passing: a resync without progress, a hold whose period is over.
  [[nodiscard]] std::vector<Decision> tick(Clock::time_point now);
  // The target refused a command (or it could not be sent): the leg is
  // taken as it is again, so a later probe or event can act anew.
  void command_failed(const Command& command);

  // Whether the device is watched (seen and not gone).
  [[nodiscard]] bool watched(const std::string& device) const;

 private:
  struct Leg {
    char state = '?';
    char health = '?';
    bool fail_sent = false;    // fail_leg sent, F not yet seen
    bool readd_sent = false;   // readd_leg sent, F still seen
    unsigned good = 0;         // successful probes in a row while failed
    bool manual_told = false;  // readd = manual: READD told once per failure
    bool last_leg_told = false;
  };
  struct Mirror {
    std::vector<Leg> legs;
    std::string resync = "idle";
    uint64_t copied = 0;
    uint64_t remaining = 0;
    int decile = 0;                 // last 10 % step told
    bool resync_told = false;       // RESYNC START told, END/STOP not yet
    Clock::time_point progress_at;  // last progress (or start of the stall clock)
    bool stall_active = false;
    bool stall_told = false;
    std::deque<Clock::time_point> actions;  // automatic actions within the period
    bool held = false;
  };

  // The automatic actions of `m` older than action_limit_period leave its count.
  void forget_old_actions(Mirror& m, Clock::time_point now) const;
  // Whether an automatic action on `device` may be taken now (and counts
  // it); past the limit the device is held and a HOLD decision is added.
  // `leg` and `action` ("fail_leg 1") name it in the HOLD line.
  bool allow_action(const std::string& device, Mirror& m, int leg, const std::string& action,
                    Clock::time_point now, std::vector<Decision>& out);
  // A fail_leg for leg `leg` for `type` (PROBE_TIMEOUT, HEALTH, STALL...).
  void fail(const std::string& device, Mirror& m, int leg, const std::string& type,
            std::vector<std::pair<std::string, std::string>> fields, Clock::time_point now,
            std::vector<Decision>& out);
  void resync_events(const std::string& device, Mirror& m, const devmapper::MirrorStatus& s,
                     Clock::time_point now, std::vector<Decision>& out);

  Config config_;
  std::map<std::string, Mirror> mirrors_;
  std::map<std::string, std::string> log_writes_;  // device -> state
};

// "EIO", "ETIMEDOUT"...
[[nodiscard]] std::string errno_name(int e);
// Whether a probe's errno is the leg's I/O failing (EIO, ENXIO, ENODEV,
// ETIMEDOUT, ENOLINK, EREMOTEIO, EILSEQ, ENODATA, ENOMEDIUM), as opposed to
// bb-healthd's own trouble (ENOENT, EINVAL, EMFILE...), which fails no leg.
[[nodiscard]] bool is_device_error(int e);

// The events that run the user's program, by OpMsg.
[[nodiscard]] bool runs_program(const std::string& op);

}  // namespace bb::healthd
