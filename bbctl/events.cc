// SPDX-License-Identifier: GPL-2.0-or-later
#include "bbctl/events.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/json.h"
#include "devmapper/devices.h"

namespace bb::bbctl {

namespace {

constexpr std::string_view kMirror = "bb-mirror";
constexpr std::string_view kLogWrites = "bb-log-writes";

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

uint64_t to_number(const std::string& device, const std::string& what, const std::string& text) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    throw std::invalid_argument(
        fmt::format("{}: status field {} is \"{}\", not a number", device, what, text));
  }
  return v;
}

Field text(std::string key, std::string value) { return {std::move(key), std::move(value), false}; }
Field num(std::string key, uint64_t value) { return {std::move(key), std::to_string(value), true}; }

// A cursor over a status line's words that names the field it misses.
class Words {
 public:
  Words(const DeviceState& d, std::string_view line) : device_(d.name), words_(words(line)) {}
  const std::string& next(const std::string& what) {
    if (pos_ >= words_.size())
      throw std::invalid_argument(fmt::format("{}: status ends before {}", device_, what));
    return words_[pos_++];
  }
  uint64_t number(const std::string& what) { return to_number(device_, what, next(what)); }

 private:
  std::string device_;
  std::vector<std::string> words_;
  size_t pos_ = 0;
};

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
  Words w(d, status.params);
  const uint64_t legs = w.number("#legs");
  if (legs < 1 || legs > 32)
    throw std::invalid_argument(fmt::format("{}: status says {} legs", d.name, legs));
  std::vector<std::string> devs;
  for (uint64_t i = 0; i < legs; i++) devs.push_back(w.next("leg device"));
  const std::string sync = w.next("in_sync/total");
  const auto slash = sync.find('/');
  if (slash == std::string::npos) {
    throw std::invalid_argument(
        fmt::format("{}: status field in_sync/total is \"{}\"", d.name, sync));
  }
  const uint64_t in_sync = to_number(d.name, "in_sync", sync.substr(0, slash));
  const uint64_t total = to_number(d.name, "total", sync.substr(slash + 1));
  (void)w.number("health count");
  const std::string health = w.next("health");
  const uint64_t log_words = w.number("log status count");
  std::string log_type;
  for (uint64_t i = 0; i < log_words; i++) {
    const std::string& word = w.next("log status");
    if (i == 0) log_type = word;
  }
  (void)w.number("#ours");
  const std::string resync = w.next("resync state");
  const uint64_t copied = w.number("regions copied");
  const uint64_t remaining = w.number("regions remaining");
  const uint64_t rate = w.number("rate");
  const uint64_t eta = w.number("eta");
  const std::string states = w.next("leg states");
  const std::string source = w.next("source leg");
  if (health.size() != legs || states.size() != legs) {
    throw std::invalid_argument(
        fmt::format("{}: status has {} health letters and {} leg states for {} legs", d.name,
                    health.size(), states.size(), legs));
  }

  Object device{"device",
                {text("name", d.name), text("dev", d.dev), text("target", std::string(kMirror)),
                 num("sectors", status.length), num("legs", legs), num("regions", total),
                 text("log", log_type)}};
  out.push_back(std::move(device));
  for (uint64_t i = 0; i < legs; i++) {
    out.push_back(
        {"leg",
         {text("name", d.name), num("leg", i), text("dev", devs[i]),
          text("state", leg_state(states[i])), text("health", std::string(1, health[i]))}});
  }
  Object r{"resync",
           {text("name", d.name), text("state", resync), num("copied", copied),
            num("remaining", remaining), num("in-sync", in_sync), num("rate", rate),
            text("source", source)}};
  if (resync != "idle" && copied + remaining > 0) {
    const double done =
        100.0 * static_cast<double>(copied) / static_cast<double>(copied + remaining);
    r.fields.push_back({"done", fmt::format("{:.1f}", done), true});
    r.fields.push_back(num("eta", eta));
  }
  out.push_back(std::move(r));
}

void log_writes_objects(const DeviceState& d, const devmapper::TargetLine& table,
                        const devmapper::TargetLine& status, std::vector<Object>& out) {
  Words w(d, status.params);
  const uint64_t entries = w.number("entries");
  (void)w.number("highest sector");
  const std::string state = w.next("state");
  const uint64_t used = w.number("log bytes used");
  const uint64_t free = w.number("log bytes free");
  const std::string stop = w.next("stop reason");
  const std::string stop_entry = w.next("stop entry");
  const auto tw = words(table.params);
  out.push_back({"device",
                 {text("name", d.name), text("dev", d.dev), text("target", std::string(kLogWrites)),
                  num("sectors", status.length), text("data", tw.empty() ? "-" : tw[0]),
                  text("logdev", tw.size() < 2 ? "-" : tw[1])}});
  out.push_back(
      {"log",
       {text("name", d.name), text("state", state), num("entries", entries), num("used", used),
        num("free", free), text("stop", stop), text("stop-entry", stop_entry)}});
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
    if (s.type == kMirror) mirror_objects(device, s, out);
    if (s.type == kLogWrites && i < device.table.size())
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
  return std::any_of(d.table.begin(), d.table.end(),
                     [](const auto& l) { return l.type == kMirror || l.type == kLogWrites; });
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
