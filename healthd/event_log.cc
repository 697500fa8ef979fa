// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "common/system_error.h"

namespace bb::healthd {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "bb-healthd-";

bool needs_quotes(std::string_view v) {
  return v.empty() || v.find_first_of(" \t\n\r\"\\=") != std::string_view::npos;
}

std::string quote_value(std::string_view v) {
  if (!needs_quotes(v)) return std::string(v);
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  out += '"';
  return out;
}

std::tm local(std::chrono::system_clock::time_point t) {
  const time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

// A run's file: bb-healthd-<12 digits>[-N].out or .log
bool is_run_file(const std::string& name, std::string_view ext) {
  if (name.size() < kPrefix.size() + 12 + ext.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(ext))
    return false;
  const std::string stem = name.substr(kPrefix.size(), name.size() - kPrefix.size() - ext.size());
  return std::all_of(stem.begin(), stem.begin() + 12, [](char c) { return c >= '0' && c <= '9'; });
}

// Whether the file's last event is END (a run that ended cleanly).
bool ended_cleanly(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::string last_op;
  while (std::getline(in, line)) {
    if (const auto e = parse_event(line)) last_op = e->op;
  }
  return last_op == "END";
}

// `stem`, or stem-2, stem-3, ...: the first with neither a .out nor a .log
// in `dir`, so that a run keeps one name from its .out to its .log.
std::string free_stem(const fs::path& dir, const std::string& stem) {
  std::string s = stem;
  for (int n = 2; fs::exists(dir / (s + ".out")) || fs::exists(dir / (s + ".log")); n++)
    s = fmt::format("{}-{}", stem, n);
  return s;
}

}  // namespace

std::string Event::field(std::string_view key) const {
  if (key == "Device") return device;
  if (key == "Leg") return leg < 0 ? "" : std::to_string(leg);
  for (const auto& [k, v] : fields) {
    if (k == key) return v;
  }
  return "";
}

std::string log_time(std::chrono::system_clock::time_point t) {
  const std::tm tm = local(t);
  return fmt::format("{:04}/{:02}/{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string format_event(const Event& e, std::chrono::system_clock::time_point t) {
  std::string out = fmt::format("{} {}: OpMsg={} Type={}", log_time(t), e.component, e.op, e.type);
  if (!e.device.empty()) out += " Device=" + quote_value(e.device);
  if (e.leg >= 0) out += fmt::format(" Leg={}", e.leg);
  for (const auto& [k, v] : e.fields) out += fmt::format(" {}={}", k, quote_value(v));
  return out;
}

std::string format_text(std::string_view component, std::string_view text,
                        std::chrono::system_clock::time_point t) {
  return fmt::format("{} {}: {}", log_time(t), component, text);
}

std::optional<Event> parse_event(std::string_view line) {
  // "YYYY/MM/DD HH:MM:SS " is 20 characters.
  if (line.size() < 20 || line[4] != '/' || line[7] != '/' || line[13] != ':' || line[19] != ' ' ||
      line.find_first_of("\n\r") != std::string_view::npos)
    return std::nullopt;
  line.remove_prefix(20);
  const auto colon = line.find(": ");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  Event e;
  e.component = std::string(line.substr(0, colon));
  line.remove_prefix(colon + 2);
  if (!line.starts_with("OpMsg=")) return std::nullopt;
  while (!line.empty()) {
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    std::string key(line.substr(0, eq));
    if (key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
        std::string::npos)
      return std::nullopt;
    line.remove_prefix(eq + 1);
    std::string value;
    if (!line.empty() && line[0] == '"') {
      size_t i = 1;
      for (; i < line.size() && line[i] != '"'; i++) {
        if (line[i] == '\\' && i + 1 < line.size()) i++;
        value += line[i];
      }
      if (i >= line.size()) return std::nullopt;  // no closing quote
      line.remove_prefix(i + 1);
    } else {
      const auto sp = line.find(' ');
      value = std::string(line.substr(0, sp));
      line.remove_prefix(sp == std::string_view::npos ? line.size() : sp);
    }
    if (!line.empty()) {
      if (line[0] != ' ') return std::nullopt;
      line.remove_prefix(1);
    }
    if ((key == "OpMsg" || key == "Type") &&
        (value.empty() || value.find_first_of(" \t\"\\=") != std::string::npos))
      return std::nullopt;  // a name, never quoted
    if (key == "OpMsg") {
      e.op = value;
    } else if (key == "Type") {
      e.type = value;
    } else if (key == "Device") {
      e.device = value;
    } else if (key == "Leg") {
      try {
        e.leg = std::stoi(value);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    } else {
      e.fields.emplace_back(std::move(key), std::move(value));
    }
  }
  if (e.op.empty() || e.type.empty()) return std::nullopt;  // every event has both
  return e;
}

std::string run_file_name(std::chrono::system_clock::time_point t) {
  const std::tm tm = local(t);
  return fmt::format("{}{:04}{:02}{:02}{:02}{:02}.out", kPrefix, tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min);
}

EventLog::EventLog(const fs::path& dir, std::chrono::milliseconds retention,
                   std::chrono::system_clock::time_point now, Mirror mirror)
    : mirror_(std::move(mirror)) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw bb::common::SystemError(
        ec.value(), fmt::format("cannot make log directory {}: {}", dir.string(), ec.message()));
  }
  std::vector<fs::path> outs;
  std::vector<fs::path> logs;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file()) continue;
    if (is_run_file(name, ".out")) outs.push_back(entry.path());
    if (is_run_file(name, ".log")) logs.push_back(entry.path());
  }
  if (ec) {
    throw bb::common::SystemError(
        ec.value(), fmt::format("cannot list log directory {}: {}", dir.string(), ec.message()));
  }
  std::sort(outs.begin(), outs.end());
  // Retention first, so that the files renamed now (just ended) are kept.
  const auto limit = fs::file_time_type::clock::now() - retention;
  for (const auto& p : logs) {
    const auto mtime = fs::last_write_time(p, ec);
    if (!ec && mtime < limit && fs::remove(p, ec)) report_.deleted.push_back(p);
  }
  for (const auto& p : outs) {
    if (!ended_cleanly(p)) report_.crashed.push_back(p);
    fs::path to = p;
    to.replace_extension(".log");
    if (fs::exists(to)) to = dir / (free_stem(dir, p.stem().string()) + ".log");
    fs::rename(p, to, ec);
    if (ec) {
      throw bb::common::SystemError(ec.value(), fmt::format("cannot rename {} to {}: {}",
                                                            p.string(), to.string(), ec.message()));
    }
    report_.renamed.push_back(to);
    if (!report_.crashed.empty() && report_.crashed.back() == p) report_.crashed.back() = to;
  }
  const std::string name = run_file_name(now);
  report_.file = dir / (free_stem(dir, name.substr(0, name.size() - 4)) + ".out");
  file_ = bb::common::open_file(report_.file.string(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0640,
                                "(bb-healthd's log)");
}

EventLog::EventLog(Mirror mirror) : mirror_(std::move(mirror)) {}

void EventLog::event(const Event& e) { write(format_event(e, std::chrono::system_clock::now())); }

void EventLog::text(std::string_view component, std::string_view text) {
  write(format_text(component, text, std::chrono::system_clock::now()));
}

void EventLog::write(const std::string& line) {
  const std::lock_guard lock(mutex_);
  if (file_) {
    const std::string with_nl = line + "\n";
    // One write(2) per line, O_APPEND: a line is never torn by a crash of
    // this process. A full disk loses the line in the file, not on stderr.
    [[maybe_unused]] const ssize_t n = ::write(file_.get(), with_nl.data(), with_nl.size());
  }
  if (mirror_) mirror_(line);
}

void EventLog::sync() {
  const std::lock_guard lock(mutex_);
  if (file_) (void)::fdatasync(file_.get());
}

}  // namespace bb::healthd
