// SPDX-License-Identifier: GPL-2.0-or-later
#include "bbctl/events.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "common/json.h"
#include "devmapper/devices.h"
#include "devmapper/target_status.h"

namespace bb::bbctl {

namespace {

using devmapper::kLogWritesTarget;
using devmapper::kMirrorTarget;

Field text(std::string key, std::string value) { return {std::move(key), std::move(value), false}; }
Field num(std::string key, uint64_t value) { return {std::move(key), std::to_string(value), true}; }

const char* leg_state(char letter) {
  switch (letter) {
    case 'A':
      return "current";
    case 'F':
      return "failed";
    case 'S':
      return "stale";
    default:
      return "unknown";
  }
}

void mirror_objects(const DeviceState& d, const devmapper::TargetLine& status,
                    std::vector<Object>& out) {
  const devmapper::MirrorStatus s = devmapper::parse_mirror_status(d.name, status.params);
  Object device{"device",
                {text("name", d.name), text("dev", d.dev),
                 text("target", std::string(kMirrorTarget)), num("sectors", status.length),
                 num("legs", s.legs.size()), num("regions", s.total), text("log", s.log_type)}};
  out.push_back(std::move(device));
  for (size_t i = 0; i < s.legs.size(); i++) {
    out.push_back({"leg",
                   {text("name", d.name), num("leg", i), text("dev", s.legs[i].dev),
                    text("state", leg_state(s.legs[i].state)),
                    text("health", std::string(1, s.legs[i].health))}});
  }
  Object r{"resync",
           {text("name", d.name), text("state", s.resync), num("copied", s.copied),
            num("remaining", s.remaining), num("in-sync", s.in_sync), num("rate", s.rate),
            text("source", std::to_string(s.source_leg))}};
  if (s.resync != "idle" && s.copied + s.remaining > 0) {
    const double done =
        100.0 * static_cast<double>(s.copied) / static_cast<double>(s.copied + s.remaining);
    r.fields.push_back({"done", fmt::format("{:.1f}", done), true});
    r.fields.push_back(num("eta", s.eta));
  }
  out.push_back(std::move(r));
}

void log_writes_objects(const DeviceState& d, const devmapper::TargetLine& table,
                        const devmapper::TargetLine& status, std::vector<Object>& out) {
  const devmapper::LogWritesStatus s = devmapper::parse_log_writes_status(d.name, status.params);
  const auto tw = devmapper::split_params(table.params);
  out.push_back(
      {"device",
       {text("name", d.name), text("dev", d.dev), text("target", std::string(kLogWritesTarget)),
        num("sectors", status.length), text("data", tw.empty() ? "-" : tw[0]),
        text("logdev", tw.size() < 2 ? "-" : tw[1])}});
  out.push_back({"log",
                 {text("name", d.name), text("state", s.state), num("entries", s.entries),
                  num("used", s.used), num("free", s.free), text("stop", s.stop),
                  text("stop-entry", s.stop_entry)}});
}

size_t naming_fields(const Object& o) {
  return o.kind == "leg" ? 2 : 1;  // name (and leg)
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const auto secs = static_cast<time_t>(us / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  char zone[8];
  (void)std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  (void)std::strftime(zone, sizeof(zone), "%z", &tm);
  // +0100 -> +01:00, as drbdsetup events2 --timestamps prints.
  const std::string z(zone);
  return fmt::format("{}.{:06d}{}:{}", buf, us % 1000000, z.substr(0, 3), z.substr(3));
}

const char* kind_name(EventKind k) {
  switch (k) {
    case EventKind::kExists:
      return "exists";
    case EventKind::kCreate:
      return "create";
    case EventKind::kChange:
      return "change";
    case EventKind::kDestroy:
      return "destroy";
  }
  return "?";
}

volatile sig_atomic_t g_stop = 0;
void on_signal(int /*signo*/) { g_stop = 1; }

// What the loop knows of one device between events.
struct Known {
  uint32_t event_nr = 0;
  bool live_table = false;
  std::vector<devmapper::TargetLine> table;  // the live table
  std::vector<Object> objects;
};

}  // namespace

std::string Object::key() const {
  std::string k = kind;
  for (size_t i = 0; i < std::min(naming_fields(*this), fields.size()); i++)
    k += " " + fields[i].value;
  return k;
}

std::vector<Object> objects_of(const DeviceState& device) {
  std::vector<Object> out;
  for (size_t i = 0; i < device.status.size(); i++) {
    const auto& s = device.status[i];
    if (s.type == kMirrorTarget) mirror_objects(device, s, out);
    if (s.type == kLogWritesTarget && i < device.table.size())
      log_writes_objects(device, device.table[i], s, out);
  }
  return out;
}

std::vector<Event> diff(const std::vector<Object>& before, const std::vector<Object>& after) {
  std::vector<Event> events;
  auto find = [](const std::vector<Object>& list, const std::string& key) -> const Object* {
    for (const auto& o : list)
      if (o.key() == key) return &o;
    return nullptr;
  };
  for (const auto& o : after) {
    const Object* old = find(before, o.key());
    if (old == nullptr) {
      events.push_back({EventKind::kCreate, o});
    } else if (!(*old == o)) {
      events.push_back({EventKind::kChange, o});
    }
  }
  // NOLINTNEXTLINE(modernize-loop-convert): in reverse
  for (auto it = before.rbegin(); it != before.rend(); ++it) {
    if (find(after, it->key()) != nullptr) continue;
    Object gone{it->kind, {}};
    for (size_t i = 0; i < std::min(naming_fields(*it), it->fields.size()); i++) {
      gone.fields.push_back(it->fields[i]);
    }
    events.push_back({EventKind::kDestroy, std::move(gone)});
  }
  return events;
}

std::string format_event(const Event& event, const Format& format,
                         std::chrono::system_clock::time_point now) {
  const bool end_of_state = event.object.kind.empty();
  if (format.json) {
    std::string out = "{";
    if (format.timestamps) out += fmt::format("\"time\":{},", common::json_string(iso_time(now)));
    out += fmt::format("\"event\":\"{}\",\"object\":{}", kind_name(event.kind),
                       end_of_state ? "null" : common::json_string(event.object.kind));
    for (const auto& f : event.object.fields) {
      out += fmt::format(",{}:{}", common::json_string(f.key),
                         f.number ? f.value : common::json_string(f.value));
    }
    return out + "}";
  }
  std::string out;
  if (format.timestamps) out = iso_time(now) + " ";
  out += kind_name(event.kind);
  out += " " + (end_of_state ? std::string("-") : event.object.kind);
  for (const auto& f : event.object.fields) out += fmt::format(" {}:{}", f.key, f.value);
  return out;
}

namespace {

DeviceState read_device(const std::string& name, const devmapper::DeviceInfo& info,
                        std::vector<devmapper::TargetLine> table) {
  DeviceState d;
  d.name = name;
  d.dev = fmt::format("{}:{}", info.major, info.minor);
  d.table = std::move(table);
  if (info.live_table) d.status = devmapper::status(name);
  return d;
}

bool is_ours(const DeviceState& d) {
  return std::any_of(d.table.begin(), d.table.end(), [](const auto& l) {
    return l.type == kMirrorTarget || l.type == kLogWritesTarget;
  });
}

}  // namespace

int run_events(const EventsOptions& options) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: poll returns EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::optional<devmapper::GlobalEvents> events;
  if (!options.now) events.emplace();
  const std::set<std::string> wanted(options.names.begin(), options.names.end());
  std::map<std::string, Known> known;
  bool first = true;
  auto emit = [&](const Event& e) {
    std::string line = format_event(e, options.format, std::chrono::system_clock::now());
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fflush(stdout) != 0)
      throw std::runtime_error("cannot write the events (stdout closed?)");
  };
  while (g_stop == 0) {
    if (events) events->arm();
    std::map<std::string, Known> now;
    for (const auto& listed : devmapper::list_devices()) {
      if (!wanted.empty() && wanted.count(listed.name) == 0) continue;
      const devmapper::DeviceInfo info = devmapper::info(listed.name);
      if (!info.exists) continue;  // removed since the list
      Known k;
      k.event_nr = info.event_nr;
      k.live_table = info.live_table;
      try {
        // The table too: `dmsetup reload` + `resume` swaps it inside one
        // ioctl, with no suspend seen and no event of the device's own.
        if (info.live_table) k.table = devmapper::table(listed.name);
        const auto old = known.find(listed.name);
        if (old != known.end() && old->second.event_nr == k.event_nr &&
            old->second.live_table == k.live_table && old->second.table == k.table) {
          now[listed.name] = old->second;  // nothing of its own happened: unchanged
          continue;
        }
        const DeviceState d = read_device(listed.name, info, k.table);
        if (is_ours(d)) k.objects = objects_of(d);
      } catch (const devmapper::DmError& e) {
        if (e.error_number() == ENXIO) continue;  // removed meanwhile
        throw;
      }
      now[listed.name] = std::move(k);
    }
    // Devices in name order; a device's events in its objects' order.
    std::set<std::string> names;
    for (const auto& [name, k] : known) names.insert(name);
    for (const auto& [name, k] : now) names.insert(name);
    for (const auto& name : names) {
      static const std::vector<Object> kNone;
      const auto o = known.find(name);
      const auto n = now.find(name);
      const auto& before = o == known.end() ? kNone : o->second.objects;
      const auto& after = n == now.end() ? kNone : n->second.objects;
      for (auto e : diff(before, after)) {
        if (first) e.kind = EventKind::kExists;
        emit(e);
      }
    }
    known = std::move(now);
    if (first) {
      emit({EventKind::kExists, Object{}});
      first = false;
      if (options.now) return 0;
    }
    (void)events->wait(std::nullopt);
  }
  return 0;
}

}  // namespace bb::bbctl
