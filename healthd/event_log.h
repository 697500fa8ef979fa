// SPDX-License-Identifier: GPL-2.0-or-later
// bb-healthd's own log: the one module that writes (and reads back) its
// line shape and its files, after the QoS controller's guide:
//
//   2026/11/30 23:40:01 probe: OpMsg=PROBE Type=TIMEOUT Device=m0 Leg=1 Sector=8 Timeout=5000ms
//   2026/11/30 23:40:01 policy: OpMsg=FAIL Type=PROBE_TIMEOUT Device=m0 Leg=1 Timeout=5000ms
//   Action="fail_leg 1"   (one line)
//
// `<date> <time> <component>: OpMsg=<op> Type=<type>` then `Device=`,
// `Leg=` and more `Key=value` fields; an empty value, or one with a blank,
// tab, line break, quote, backslash or '=', is written in double quotes
// with \" and \\ escaped and a line break as a blank. A run writes
// bb-healthd-YYYYMMDDHHmm.out in the log directory: its configuration
// first ("<date> <time> controller: <key> = <value>"), then the events.
// See docs/bb-healthd.md for every OpMsg and Type.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/file_descriptor.h"

namespace bb::healthd {

struct Event {
  std::string component;  // controller, probe, policy, action, program
  std::string op;         // OpMsg: START, END, CRASH, PROBE, FAIL, ...
  std::string type;       // Type
  std::string device;     // "" when the event is not a device's
  int leg = -1;           // -1 when not a leg's
  std::vector<std::pair<std::string, std::string>> fields;  // after Leg=

  // The value of a field (Device and Leg included), or "".
  [[nodiscard]] std::string field(std::string_view key) const;
};

// "YYYY/MM/DD HH:MM:SS" in local time.
[[nodiscard]] std::string log_time(std::chrono::system_clock::time_point t);
// One line, without newline.
[[nodiscard]] std::string format_event(const Event& e, std::chrono::system_clock::time_point t);
// "<time> <component>: <text>": a line that is not an event (the configuration).
[[nodiscard]] std::string format_text(std::string_view component, std::string_view text,
                                      std::chrono::system_clock::time_point t);
// Reads an event line back; nullopt for a line that is not one (e.g. the
// configuration header).
[[nodiscard]] std::optional<Event> parse_event(std::string_view line);

// The file name of a run started at `t`: bb-healthd-YYYYMMDDHHmm.out.
[[nodiscard]] std::string run_file_name(std::chrono::system_clock::time_point t);

// What opening the log directory found and did.
struct StartReport {
  std::filesystem::path file;                  // this run's .out
  std::vector<std::filesystem::path> crashed;  // earlier runs' files without END (now .log)
  std::vector<std::filesystem::path> renamed;  // .out -> .log
  std::vector<std::filesystem::path> deleted;  // .log older than the retention
};

// The run's log file and its copy on stderr. Thread-safe.
class EventLog {
 public:
  // Each line (no newline) also goes to `mirror` (stderr in the daemon).
  using Mirror = std::function<void(std::string_view)>;

  // Opens the run's file in `dir` (made if missing): renames every earlier
  // .out to .log (noting the ones whose last event is not END), deletes
  // .log files whose mtime is older than `retention`, and creates this
  // run's .out (a -2, -3... suffix if a .out or .log of that name exists:
  // a run keeps one name).
  // Throws SystemError naming the path.
  EventLog(const std::filesystem::path& dir, std::chrono::milliseconds retention,
           std::chrono::system_clock::time_point now, Mirror mirror);
  // No file: lines go to `mirror` only (--check-config, tests).
  explicit EventLog(Mirror mirror);

  [[nodiscard]] const StartReport& start_report() const { return report_; }

  void event(const Event& e);
  void text(std::string_view component, std::string_view text);
  // fdatasync of the file (after END).
  void sync();

 private:
  void write(const std::string& line);

  std::mutex mutex_;
  bb::common::FileDescriptor file_;
  Mirror mirror_;
  StartReport report_;
};

}  // namespace bb::healthd
