// SPDX-License-Identifier: GPL-2.0-or-later
// bb-healthd's configuration: one file of `key = value` lines (default
// /etc/blackbox/healthd.conf), read with Boost.Program_options; durations
// carry a unit (500ms, 5s, 30min, 2h, 14d). Every key, its default and its
// meaning: docs/bb-healthd.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace bb::healthd {

using Duration = std::chrono::milliseconds;

enum class ReaddPolicy : uint8_t { kAuto, kManual };
enum class StallAction : uint8_t { kReport, kFailLeg };

struct Config {
  Duration probe_interval = std::chrono::seconds(10);
  Duration probe_timeout = std::chrono::seconds(5);
  uint32_t probe_bytes = 4096;  // per probe, O_DIRECT
  ReaddPolicy readd = ReaddPolicy::kAuto;
  uint32_t readd_after_good_probes = 3;
  Duration resync_stall_timeout = std::chrono::minutes(5);
  StallAction resync_stall_action = StallAction::kReport;
  uint32_t action_limit_max = 3;
  Duration action_limit_period = std::chrono::minutes(30);
  bool observe_only = false;
  std::string log_dir = "/var/log/blackbox";
  Duration retention = std::chrono::hours(24 * 14);  // retention_days
  std::string program;                               // empty: none
  Duration program_timeout = std::chrono::seconds(30);
};

inline constexpr const char* kDefaultConfigPath = "/etc/blackbox/healthd.conf";

// A value or line the configuration refuses: names the file, the line
// (0 when the key is not on a line, e.g. a key given twice), the key and why.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& file, unsigned line, std::string key, const std::string& why);
  [[nodiscard]] const std::string& key() const { return key_; }
  [[nodiscard]] unsigned line() const { return line_; }

 private:
  std::string key_;
  unsigned line_;
};

// "500ms", "5s", "30min", "2h", "14d" (a number and a unit, no blank
// between them, nothing else). Throws std::invalid_argument saying why.
[[nodiscard]] Duration parse_duration(const std::string& text);
// The shortest exact form: 5000ms -> "5s", 1800s -> "30min".
[[nodiscard]] std::string format_duration(Duration d);

// Reads `path` ("" for defaults only). A missing file is an error unless
// `missing_ok` (the default path may be absent: defaults then). Throws
// ConfigError.
[[nodiscard]] Config load_config(const std::string& path, bool missing_ok);
// Parses the text of a configuration file named `file` in errors.
[[nodiscard]] Config parse_config(const std::string& text, const std::string& file);

// The effective configuration, one "key = value" per key, in the
// documented order: the header of every log file and of --check-config.
[[nodiscard]] std::vector<std::string> describe(const Config& config);

}  // namespace bb::healthd
