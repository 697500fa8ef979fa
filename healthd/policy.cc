// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/policy.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace bb::healthd {

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string ms(std::chrono::milliseconds d) { return fmt::format("{}ms", d.count()); }

Decision decide(std::string component, std::string op, std::string type, std::string device,
                int leg, Fields fields) {
  Decision d;
  d.event = Event{std::move(component), std::move(op), std::move(type),
                  std::move(device),    leg,           std::move(fields)};
  d.run_program = runs_program(d.event.op);
  return d;
}

bool failure_letter(char health) { return health == 'F' || health == 'D' || health == 'U'; }

}  // namespace

std::string errno_name(int e) {
  const char* name = strerrorname_np(e);
  return name != nullptr ? name : fmt::format("errno {}", e);
}

bool is_device_error(int e) {
  switch (e) {
    case EIO:
    case ENXIO:
    case ENODEV:
    case ETIMEDOUT:
    case ENOLINK:
    case EREMOTEIO:
    case EILSEQ:
    case ENODATA:
    case ENOMEDIUM:
      return true;
    default:
      return false;
  }
}

bool runs_program(const std::string& op) {
  return op == "FAIL" || op == "READD" || op == "RESYNC" || op == "STALL" || op == "HOLD" ||
         op == "LOG" || op == "CRASH";
}

bool Policy::watched(const std::string& device) const {
  return mirrors_.contains(device) || log_writes_.contains(device);
}

void Policy::forget_old_actions(Mirror& m, Clock::time_point now) const {
  while (!m.actions.empty() && now - m.actions.front() >= config_.action_limit_period)
    m.actions.pop_front();
}

bool Policy::allow_action(const std::string& device, Mirror& m, int leg, const std::string& action,
                          Clock::time_point now, std::vector<Decision>& out) {
  forget_old_actions(m, now);
  if (m.held) return false;
  if (m.actions.size() >= config_.action_limit_max) {
    m.held = true;
    out.push_back(decide("policy", "HOLD", "LIMIT", device, leg,
                         {{"Actions", std::to_string(m.actions.size())},
                          {"Period", format_duration(config_.action_limit_period)},
                          {"Would", action},
                          {"Why",
                           "action limit reached: no automatic action until the period "
                           "has room again"}}));
    return false;
  }
  m.actions.push_back(now);
  return true;
}

void Policy::fail(const std::string& device, Mirror& m, int leg, const std::string& type,
                  Fields fields, Clock::time_point now, std::vector<Decision>& out) {
  Leg& l = m.legs[static_cast<size_t>(leg)];
  if (l.fail_sent || l.state == 'F') return;
  // bb-mirror refuses to fail its last current leg (-EBUSY): say so once.
  const auto current = std::count_if(m.legs.begin(), m.legs.end(),
                                     [](const Leg& x) { return x.state == 'A' && !x.fail_sent; });
  if (l.state == 'A' && current <= 1) {
    if (!l.last_leg_told) {
      l.last_leg_told = true;
      fields.emplace_back("Action", "none");
      fields.emplace_back("Why", "the last current leg: bb-mirror refuses to fail it");
      out.push_back(decide("policy", "FAIL", type, device, leg, std::move(fields)));
    }
    return;
  }
  if (!allow_action(device, m, leg, fmt::format("fail_leg {}", leg), now, out)) return;
  Decision d;
  if (config_.observe_only) {
    fields.emplace_back("Action", "none");
    fields.emplace_back("Would", fmt::format("fail_leg {}", leg));
    fields.emplace_back("Why", "observe_only");
  } else {
    fields.emplace_back("Action", fmt::format("fail_leg {}", leg));
  }
  d = decide("policy", "FAIL", type, device, leg, std::move(fields));
  if (!config_.observe_only) {
    d.command = Command{device, leg, fmt::format("fail_leg {}", leg)};
    l.fail_sent = true;
  }
  out.push_back(std::move(d));
}

std::vector<Decision> Policy::observe(const std::string& device, const devmapper::MirrorStatus& s,
                                      Clock::time_point now) {
  std::vector<Decision> out;
  auto [it, fresh] = mirrors_.try_emplace(device);
  Mirror& m = it->second;
  if (fresh || m.legs.size() != s.legs.size()) {
    // A new mirror, or a table with another number of legs: what was seen
    // of the legs goes; the actions counted and a hold stay.
    auto actions = std::move(m.actions);
    const bool held = m.held;
    m = Mirror{};
    m.actions = std::move(actions);
    m.held = held;
    m.legs.resize(s.legs.size());
    m.copied = s.copied;
    m.remaining = s.remaining;
    m.progress_at = now;
    std::string states;
    for (const devmapper::MirrorLegStatus& l : s.legs) states += l.state;
    out.push_back(decide("controller", "WATCH", "MIRROR", device, -1,
                         {{"Legs", std::to_string(s.legs.size())},
                          {"States", states},
                          {"Remaining", std::to_string(s.remaining)}}));
  }
  for (size_t i = 0; i < s.legs.size(); i++) {
    Leg& l = m.legs[i];
    const devmapper::MirrorLegStatus& now_leg = s.legs[i];
    const int leg = static_cast<int>(i);
    const char before_state = l.state;
    const char before_health = l.health;
    l.state = now_leg.state;
    l.health = now_leg.health;
    if (l.state == 'F') {
      if (before_state != 'F') {
        l.good = 0;
        l.manual_told = false;
        if (l.fail_sent) {
          l.fail_sent = false;  // our fail_leg, done: it was logged when sent
        } else {
          out.push_back(decide("policy", "FAIL", "KERNEL", device, leg,
                               {{"Health", std::string(1, l.health)},
                                {"Action", "none"},
                                {"Why", "the kernel failed the leg"}}));
        }
      }
      continue;
    }
    // Not failed (A or S).
    l.readd_sent = false;
    if (l.state == 'A') l.last_leg_told = l.last_leg_told && before_state == 'A';
    // A health letter that turned to a failure on a current leg (the
    // kernel counted an error but did not fail it: no handle_errors).
    if (l.state == 'A' && failure_letter(l.health) && l.health != before_health) {
      fail(device, m, leg, "HEALTH", {{"Health", std::string(1, l.health)}}, now, out);
    }
  }
  resync_events(device, m, s, now, out);
  return out;
}

void Policy::resync_events(const std::string& device, Mirror& m, const devmapper::MirrorStatus& s,
                           Clock::time_point now, std::vector<Decision>& out) {
  const bool running = s.resync == "running";
  if (running && !m.resync_told) {
    m.resync_told = true;
    m.decile = 0;
    out.push_back(
        decide("policy", "RESYNC", "START", device, -1,
               {{"Copied", std::to_string(s.copied)}, {"Remaining", std::to_string(s.remaining)}}));
  }
  if (running && s.copied + s.remaining > 0) {
    const int decile = static_cast<int>(s.copied * 10 / (s.copied + s.remaining));
    if (decile > m.decile && decile < 10) {
      m.decile = decile;
      out.push_back(decide("policy", "RESYNC", "PROGRESS", device, -1,
                           {{"Done", fmt::format("{}%", decile * 10)},
                            {"Copied", std::to_string(s.copied)},
                            {"Remaining", std::to_string(s.remaining)}}));
    }
  }
  // A resync may run between two status reads: regions that were out of
  // sync and are not any more were copied by one.
  const bool ended = s.remaining == 0 && (m.resync_told || m.remaining > 0) && !running;
  if (ended) {
    out.push_back(
        decide("policy", "RESYNC", "END", device, -1, {{"Copied", std::to_string(s.copied)}}));
    m.resync_told = false;
  } else if (m.resync_told && !running) {
    out.push_back(
        decide("policy", "RESYNC", s.resync == "paused" ? "PAUSE" : "STOP", device, -1,
               {{"Copied", std::to_string(s.copied)}, {"Remaining", std::to_string(s.remaining)}}));
    m.resync_told = false;
  }
  // The stall clock runs while regions are out of sync and a resync
  // should be copying them: no leg failed, not paused by the user.
  const bool any_failed =
      std::any_of(m.legs.begin(), m.legs.end(), [](const Leg& l) { return l.state == 'F'; });
  const bool active = s.remaining > 0 && !any_failed && s.resync != "paused";
  if (!active || !m.stall_active || s.copied != m.copied || s.remaining != m.remaining) {
    if (m.stall_told && active) {
      out.push_back(decide("policy", "STALL", "RESUMED", device, -1,
                           {{"Remaining", std::to_string(s.remaining)}}));
    }
    m.progress_at = now;
    m.stall_told = false;
  }
  m.stall_active = active;
  m.resync = s.resync;
  m.copied = s.copied;
  m.remaining = s.remaining;
}

std::vector<Decision> Policy::observe(const std::string& device,
                                      const devmapper::LogWritesStatus& s,
                                      Clock::time_point /*now*/) {
  std::vector<Decision> out;
  auto [it, fresh] = log_writes_.try_emplace(device, "logging");
  if (fresh) {
    out.push_back(decide("controller", "WATCH", "LOG_WRITES", device, -1, {{"State", s.state}}));
  }
  if (s.state != it->second && s.state != "logging") {
    out.push_back(decide("policy", "LOG", s.state == "full" ? "FULL" : "ERROR", device, -1,
                         {{"Reason", s.stop}, {"Entry", s.stop_entry}, {"Action", "none"}}));
  }
  it->second = s.state;
  return out;
}

std::vector<Decision> Policy::gone(const std::string& device) {
  std::vector<Decision> out;
  if (mirrors_.erase(device) + log_writes_.erase(device) > 0)
    out.push_back(decide("controller", "UNWATCH", "REMOVED", device, -1, {}));
  return out;
}

std::vector<Decision> Policy::probe(const std::string& device, int leg, const ProbeResult& r,
                                    Clock::time_point now) {
  std::vector<Decision> out;
  Fields fields{{"Sector", std::to_string(r.sector)}};
  std::string type;
  switch (r.outcome) {
    case ProbeOutcome::kSuccess:
      type = "SUCCESS";
      fields.emplace_back("Latency", ms(r.latency));
      break;
    case ProbeOutcome::kTimeout:
      type = "TIMEOUT";
      fields.emplace_back("Timeout", ms(config_.probe_timeout));
      break;
    case ProbeOutcome::kError:
      type = "ERROR";
      fields.emplace_back("Error", errno_name(r.error));
      fields.emplace_back("Latency", ms(r.latency));
      if (!is_device_error(r.error)) {
        // ENOENT (no device node), EINVAL (an O_DIRECT read the device
        // cannot take), EMFILE...: bb-healthd's trouble, not the leg's.
        fields.emplace_back("Action", "none");
        fields.emplace_back("Why", "not an I/O error of the leg");
      }
      break;
  }
  out.push_back(decide("probe", "PROBE", type, device, leg, fields));
  const auto it = mirrors_.find(device);
  if (it == mirrors_.end() || leg < 0 || static_cast<size_t>(leg) >= it->second.legs.size())
    return out;
  Mirror& m = it->second;
  Leg& l = m.legs[static_cast<size_t>(leg)];
  const bool leg_error = r.outcome == ProbeOutcome::kTimeout ||
                         (r.outcome == ProbeOutcome::kError && is_device_error(r.error));
  if (l.state == 'F') {
    if (r.outcome != ProbeOutcome::kSuccess) {
      l.good = 0;
      return out;
    }
    l.good++;
    if (l.good < config_.readd_after_good_probes || l.readd_sent) return out;
    if (config_.readd == ReaddPolicy::kManual) {
      if (!l.manual_told) {
        l.manual_told = true;
        out.push_back(decide(
            "policy", "READD", "MANUAL", device, leg,
            {{"Good", std::to_string(l.good)},
             {"Action", "none"},
             {"Why",
              fmt::format("readd = manual: dmsetup message {} 0 readd_leg {}", device, leg)}}));
      }
      return out;
    }
    if (!allow_action(device, m, leg, fmt::format("readd_leg {}", leg), now, out)) return out;
    Fields f{{"Good", std::to_string(l.good)}};
    Decision d;
    if (config_.observe_only) {
      f.emplace_back("Action", "none");
      f.emplace_back("Would", fmt::format("readd_leg {}", leg));
      f.emplace_back("Why", "observe_only");
      d = decide("policy", "READD", "AUTO", device, leg, std::move(f));
      l.good = 0;  // would-be re-adds are told once per N good probes
    } else {
      f.emplace_back("Action", fmt::format("readd_leg {}", leg));
      d = decide("policy", "READD", "AUTO", device, leg, std::move(f));
      d.command = Command{device, leg, fmt::format("readd_leg {}", leg)};
      l.readd_sent = true;
    }
    out.push_back(std::move(d));
    return out;
  }
  if (!leg_error) return out;
  if (r.outcome == ProbeOutcome::kTimeout) {
    fail(device, m, leg, "PROBE_TIMEOUT", {{"Timeout", ms(config_.probe_timeout)}}, now, out);
  } else {
    fail(device, m, leg, "PROBE_ERROR", {{"Error", errno_name(r.error)}}, now, out);
  }
  return out;
}

std::vector<Decision> Policy::tick(Clock::time_point now) {
  std::vector<Decision> out;
  for (auto& [device, m] : mirrors_) {
    if (m.held) {
      forget_old_actions(m, now);
      if (m.actions.size() < config_.action_limit_max) {
        m.held = false;
        out.push_back(decide("policy", "HOLD", "RELEASE", device, -1,
                             {{"Actions", std::to_string(m.actions.size())},
                              {"Period", format_duration(config_.action_limit_period)}}));
      }
    }
    if (m.stall_active && !m.stall_told && now - m.progress_at >= config_.resync_stall_timeout) {
      m.stall_told = true;
      const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - m.progress_at);
      Fields f{{"Since", format_duration(since)},
               {"Resync", m.resync},
               {"Remaining", std::to_string(m.remaining)}};
      if (config_.resync_stall_action == StallAction::kReport) {
        f.emplace_back("Action", "none");
        out.push_back(decide("policy", "STALL", "RESYNC", device, -1, std::move(f)));
        continue;
      }
      if (config_.observe_only) {
        f.emplace_back("Action", "none");
        f.emplace_back("Would", "fail_leg");
      } else {
        f.emplace_back("Action", "fail_leg");
      }
      out.push_back(decide("policy", "STALL", "RESYNC", device, -1, std::move(f)));
      for (size_t i = 0; i < m.legs.size(); i++) {
        if (m.legs[i].state == 'S') {
          fail(device, m, static_cast<int>(i), "STALL", {{"Since", format_duration(since)}}, now,
               out);
        }
      }
    }
  }
  return out;
}

void Policy::command_failed(const Command& command) {
  const auto it = mirrors_.find(command.device);
  if (it == mirrors_.end() || command.leg < 0 ||
      static_cast<size_t>(command.leg) >= it->second.legs.size())
    return;
  Leg& l = it->second.legs[static_cast<size_t>(command.leg)];
  l.fail_sent = false;
  l.readd_sent = false;
  l.good = 0;
}

}  // namespace bb::healthd
