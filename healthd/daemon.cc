// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/daemon.h"

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "common/file_descriptor.h"
#include "common/system_error.h"
#include "devmapper/devices.h"
#include "devmapper/target_status.h"
#include "healthd/event_log.h"
#include "healthd/notify.h"
#include "healthd/policy.h"
#include "healthd/prober.h"
#include "healthd/program_runner.h"

namespace bb::healthd {

namespace {

using namespace std::chrono_literals;
namespace dm = bb::devmapper;

// Spreads successive probes of a leg over its whole mirrored range.
constexpr uint64_t kProbeStride = 40503;
constexpr auto kTickEvery = 1000ms;

struct Leg {
  std::string dev;  // major:minor
  uint64_t offset = 0;
  uint64_t sectors = 0;  // mirrored length
  uint64_t probes = 0;   // probes started, for the rotating offset
  Clock::time_point next_probe;
};

struct Watched {
  bool mirror = false;
  std::vector<Leg> legs;
};

struct InFlight {
  Clock::time_point deadline;
  uint64_t sector = 0;
  bool reported = false;  // its TIMEOUT was reported
  bool orphan = false;    // its device is gone: nothing to report
};

class Daemon {
 public:
  Daemon(const DaemonOptions& options, Config config, EventLog& log)
      : options_(options), config_(std::move(config)), policy_(config_), log_(log), runner_(log) {}

  // Runs until SIGTERM/SIGINT; returns the signal's name. END is logged
  // by the caller once the daemon (and its program runner) is gone.
  std::string run();
  // Runs the user's program (if one is configured) for event `e`: a
  // decision's, or one logged before the loop (CRASH).
  void program(const Event& e) {
    if (!config_.program.empty()) runner_.run(config_.program, config_.program_timeout, e);
  }

 private:
  void refresh(Clock::time_point now);
  void watch_mirror(const std::string& name, const dm::TargetLine& table,
                    const dm::TargetLine& status, Clock::time_point now);
  // A device gone or turned into another target: UNWATCH, its probes
  // dropped.
  void forget(const std::string& name);
  void start_probes(Clock::time_point now);
  void time_out_probes(Clock::time_point now);
  void reap_probes(Clock::time_point now);
  void carry_out(const std::vector<Decision>& decisions);
  void reload();
  [[nodiscard]] Clock::time_point next_wake(Clock::time_point now) const;

  const DaemonOptions& options_;
  Config config_;
  Policy policy_;
  EventLog& log_;
  Prober prober_;
  dm::GlobalEvents events_;
  ProgramRunner runner_;
  Notifier notifier_;
  std::map<std::string, Watched> watched_;
  std::map<ProbeKey, InFlight> in_flight_;
  std::set<std::string> unreadable_;  // devices whose status did not parse (told once)
  Clock::time_point next_tick_;
  Clock::time_point next_watchdog_;
};

void Daemon::carry_out(const std::vector<Decision>& decisions) {
  for (const Decision& d : decisions) {
    log_.event(d.event);
    if (d.command) {
      try {
        (void)dm::message(d.command->device, 0, d.command->text);
      } catch (const std::exception& e) {
        log_.event({"action",
                    "ACTION",
                    "REFUSED",
                    d.command->device,
                    d.command->leg,
                    {{"Message", d.command->text}, {"Why", e.what()}}});
        policy_.command_failed(*d.command);
      }
    }
    if (d.run_program) program(d.event);
  }
}

void Daemon::watch_mirror(const std::string& name, const dm::TargetLine& table,
                          const dm::TargetLine& status, Clock::time_point now) {
  const dm::MirrorStatus s = dm::parse_mirror_status(name, status.params);
  const std::vector<dm::MirrorLeg> legs = dm::parse_mirror_legs(name, table.params);
  Watched& w = watched_[name];
  w.mirror = true;
  if (w.legs.size() != legs.size()) w.legs.assign(legs.size(), Leg{"", 0, 0, 0, now});
  for (size_t i = 0; i < legs.size(); i++) {
    w.legs[i].dev = legs[i].dev;
    w.legs[i].offset = legs[i].offset;
    w.legs[i].sectors = table.length;
  }
  carry_out(policy_.observe(name, s, now));
}

void Daemon::refresh(Clock::time_point now) {
  std::set<std::string> seen;
  for (const dm::ListedDevice& d : dm::list_devices()) {
    if (!options_.names.empty() &&
        std::find(options_.names.begin(), options_.names.end(), d.name) == options_.names.end())
      continue;
    try {
      const auto table = dm::table(d.name);
      const auto it = std::find_if(table.begin(), table.end(), [](const dm::TargetLine& l) {
        return l.type == dm::kMirrorTarget || l.type == dm::kLogWritesTarget;
      });
      if (it == table.end()) continue;
      const auto status = dm::status(d.name);
      const auto index = static_cast<size_t>(it - table.begin());
      if (index >= status.size() || status[index].type != it->type) continue;
      seen.insert(d.name);
      const bool mirror = it->type == dm::kMirrorTarget;
      const auto known = watched_.find(d.name);
      if (known != watched_.end() && known->second.mirror != mirror) {
        // Its table swapped one target of ours for the other: a new device.
        forget(d.name);
      }
      if (mirror) {
        watch_mirror(d.name, *it, status[index], now);
      } else {
        const dm::LogWritesStatus s = dm::parse_log_writes_status(d.name, status[index].params);
        watched_[d.name].mirror = false;
        carry_out(policy_.observe(d.name, s, now));
      }
    } catch (const dm::DmError& e) {
      if (e.errno_value() != ENXIO) throw;  // removed while read: gone below
    } catch (const std::invalid_argument& e) {
      if (unreadable_.insert(d.name).second)  // once, until it reads again
        log_.event({"controller", "STATUS", "UNREADABLE", d.name, -1, {{"Why", e.what()}}});
      continue;
    }
    unreadable_.erase(d.name);
  }
  for (auto it = watched_.begin(); it != watched_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    const std::string name = it->first;
    ++it;
    forget(name);
  }
}

void Daemon::forget(const std::string& name) {
  carry_out(policy_.gone(name));
  watched_.erase(name);
  unreadable_.erase(name);
  // Its probes still in a device end without a line (the prober keeps
  // their buffers until the kernel is done with them).
  for (auto& [key, f] : in_flight_) {
    if (key.device == name) f.orphan = true;
  }
}

void Daemon::start_probes(Clock::time_point now) {
  for (auto& [name, w] : watched_) {
    for (size_t i = 0; i < w.legs.size(); i++) {
      Leg& leg = w.legs[i];
      if (now < leg.next_probe) continue;
      leg.next_probe = now + config_.probe_interval;
      const ProbeKey key{name, static_cast<int>(i)};
      if (prober_.in_flight(key)) continue;  // the last read is still in the device
      const uint64_t step = config_.probe_bytes / 512;
      const uint64_t blocks = leg.sectors / step;
      const uint64_t sector =
          leg.offset + (blocks == 0 ? 0 : (leg.probes * kProbeStride) % blocks * step);
      leg.probes++;
      std::string path;
      try {
        path = block_device_path(leg.dev);
      } catch (const bb::common::SystemError& e) {
        path = "/dev/block/" + leg.dev;  // the open fails with ENOENT: a probe error
      }
      if (prober_.start(key, path, sector, config_.probe_bytes, now))
        in_flight_[key] = InFlight{now + config_.probe_timeout, sector, false, false};
    }
  }
}

void Daemon::time_out_probes(Clock::time_point now) {
  for (auto& [key, f] : in_flight_) {
    if (f.reported || f.orphan || now < f.deadline) continue;
    f.reported = true;
    const ProbeResult r{ProbeOutcome::kTimeout, config_.probe_timeout, 0, f.sector};
    carry_out(policy_.probe(key.device, key.leg, r, now));
  }
}

void Daemon::reap_probes(Clock::time_point now) {
  for (const Completion& c : prober_.reap(now)) {
    const auto it = in_flight_.find(c.key);
    const bool late = it != in_flight_.end() && it->second.reported;
    const bool orphan = it != in_flight_.end() && it->second.orphan;
    if (it != in_flight_.end()) in_flight_.erase(it);
    if (orphan) continue;
    const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(c.ended - c.started);
    if (late) {
      log_.event({"probe",
                  "PROBE",
                  "LATE",
                  c.key.device,
                  c.key.leg,
                  {{"Sector", std::to_string(c.sector)},
                   {"Latency", fmt::format("{}ms", latency.count())},
                   {"Error", c.error == 0 ? "-" : errno_name(c.error)}}});
      continue;
    }
    ProbeResult r{c.error == 0 ? ProbeOutcome::kSuccess : ProbeOutcome::kError, latency, c.error,
                  c.sector};
    carry_out(policy_.probe(c.key.device, c.key.leg, r, now));
  }
}

void Daemon::reload() {
  notifier_.send("RELOADING=1");
  try {
    Config fresh = load_config(options_.config_path, options_.config_missing_ok);
    if (fresh.log_dir != config_.log_dir) {
      log_.event({"controller",
                  "RELOAD",
                  "NOTE",
                  "",
                  -1,
                  {{"Why", "log_dir takes effect at the next start"}}});
      fresh.log_dir = config_.log_dir;
    }
    if (fresh.retention != config_.retention) {
      log_.event({"controller",
                  "RELOAD",
                  "NOTE",
                  "",
                  -1,
                  {{"Why", "retention_days is applied at the next start"}}});
    }
    config_ = fresh;
    policy_.set_config(config_);
    // Every leg is probed at once with the new settings (a probe interval
    // made shorter would otherwise wait for the old one).
    for (auto& [name, w] : watched_) {
      for (Leg& l : w.legs) l.next_probe = Clock::now();
    }
    log_.event({"controller", "RELOAD", "CONFIG", "", -1, {{"Config", options_.config_path}}});
    for (const std::string& line : describe(config_)) log_.text("controller", line);
  } catch (const ConfigError& e) {
    log_.event({"controller", "RELOAD", "REFUSED", "", -1, {{"Key", e.key()}, {"Why", e.what()}}});
  }
  notifier_.send("READY=1");
}

Clock::time_point Daemon::next_wake(Clock::time_point now) const {
  Clock::time_point t = std::max(next_tick_, now);
  for (const auto& [name, w] : watched_) {
    for (const Leg& l : w.legs) t = std::min(t, l.next_probe);
  }
  for (const auto& [key, f] : in_flight_) {
    if (!f.reported) t = std::min(t, f.deadline);
  }
  if (notifier_.watchdog_interval()) t = std::min(t, next_watchdog_);
  return t;
}

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

std::string Daemon::run() {
  const sigset_t set = handled_signals();
  const bb::common::FileDescriptor sigfd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) bb::common::throw_errno("cannot make a signalfd");

  notifier_.send("READY=1\nSTATUS=watching");
  std::string why = "SIGTERM";
  for (bool stop = false; !stop;) {
    events_.arm();
    auto now = Clock::now();
    refresh(now);
    reap_probes(now);
    time_out_probes(now);
    start_probes(now);
    if (now >= next_tick_) {
      carry_out(policy_.tick(now));
      next_tick_ = now + kTickEvery;
    }
    if (notifier_.watchdog_interval() && now >= next_watchdog_) {
      notifier_.send("WATCHDOG=1");
      next_watchdog_ = now + *notifier_.watchdog_interval();
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_wake(now) - now);
    pollfd fds[3] = {
        {events_.fd(), POLLIN, 0}, {prober_.fd(), POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
    const int n = poll(fds, 3, static_cast<int>(std::clamp<int64_t>(wait.count() + 1, 0, 60000)));
    if (n < 0 && errno != EINTR) bb::common::throw_errno("poll");
    if (n > 0 && (fds[2].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      while (::read(sigfd.get(), &info, sizeof(info)) == sizeof(info)) {
        if (info.ssi_signo == SIGHUP) {
          reload();
        } else {
          stop = true;
          why = info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
        }
      }
    }
  }
  notifier_.send("STOPPING=1");
  return why;
}

}  // namespace

int run_daemon(const DaemonOptions& options, const Config& config) {
  // Blocked before any thread starts (the program runner's inherits the
  // mask), so that they reach the main loop's signalfd and no other thread.
  const sigset_t set = handled_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto mirror = [](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fputc('\n', stderr);
    std::fflush(stderr);
  };
  std::optional<EventLog> log;
  try {
    log.emplace(config.log_dir, config.retention, std::chrono::system_clock::now(), mirror);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bb-healthd: %s\n", e.what());
    return 1;
  }
  for (const std::string& line : describe(config)) log->text("controller", line);
  const StartReport& start = log->start_report();
  std::string devices;
  for (const auto& n : options.names) devices += (devices.empty() ? "" : ",") + n;
  log->event({"controller",
              "START",
              "HEALTHD",
              "",
              -1,
              {{"Pid", std::to_string(getpid())},
               {"Config", options.config_path.empty() ? "-" : options.config_path},
               {"Devices", devices.empty() ? "all" : devices},
               {"Mode", config.observe_only ? "observe_only" : "act"},
               {"File", start.file.filename().string()}}});
  for (const auto& p : start.crashed) {
    log->event({"controller",
                "CRASH",
                "HEALTHD",
                "",
                -1,
                {{"File", p.filename().string()},
                 {"Why", "the previous run ended without its END line"}}});
  }
  for (const auto& p : start.renamed)
    log->event({"controller", "LOGFILE", "RENAMED", "", -1, {{"File", p.filename().string()}}});
  for (const auto& p : start.deleted)
    log->event({"controller", "LOGFILE", "DELETED", "", -1, {{"File", p.filename().string()}}});
  try {
    std::string why;
    {
      Daemon daemon(options, config, *log);
      // The crash of the previous run is an event for the program too.
      for (const auto& p : start.crashed) {
        daemon.program(
            {"controller", "CRASH", "HEALTHD", "", -1, {{"File", p.filename().string()}}});
      }
      why = daemon.run();
    }  // the program run in progress ends (or times out) and logs first
    log->event({"controller", "END", "HEALTHD", "", -1, {{"Why", why}}});
    log->sync();
    return 0;
  } catch (const std::exception& e) {
    log->event({"controller", "END", "ERROR", "", -1, {{"Why", e.what()}}});
    log->sync();
    std::fprintf(stderr, "bb-healthd: %s\n", e.what());
    return 1;
  }
}

}  // namespace bb::healthd
