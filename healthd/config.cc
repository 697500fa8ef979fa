// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/config.h"

#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <boost/program_options.hpp>

namespace bb::healthd {

namespace po = boost::program_options;

namespace {

// Every key, in the order describe() prints them.
constexpr std::array kKeys = {
    "probe_interval",
    "probe_timeout",
    "probe_bytes",
    "readd",
    "readd_after_good_probes",
    "resync_stall_timeout",
    "resync_stall_action",
    "action_limit_max",
    "action_limit_period",
    "observe_only",
    "log_dir",
    "retention_days",
    "program",
    "program_timeout",
};

struct Unit {
  std::string_view name;
  int64_t ms;
};
constexpr std::array kUnits = {
    Unit{"ms", 1},
    Unit{"s", 1000},
    Unit{"min", int64_t{60} * 1000},
    Unit{"h", int64_t{3600} * 1000},
    Unit{"d", int64_t{24} * 3600 * 1000},
};

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

uint32_t parse_count(const std::string& text, uint32_t min, uint32_t max) {
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) {
    throw std::invalid_argument(
        fmt::format("\"{}\" is not a whole number from {} to {}", text, min, max));
  }
  return v;
}

bool parse_yes_no(const std::string& text) {
  if (text == "yes") return true;
  if (text == "no") return false;
  throw std::invalid_argument(fmt::format("\"{}\" is not yes or no", text));
}

Duration positive(Duration d, const std::string& text) {
  if (d.count() <= 0) throw std::invalid_argument(fmt::format("\"{}\" is not above zero", text));
  return d;
}

// Applies one key's value; throws std::invalid_argument saying why it is wrong.
void apply(Config& c, const std::string& key, const std::string& value) {
  if (key == "probe_interval") {
    c.probe_interval = positive(parse_duration(value), value);
  } else if (key == "probe_timeout") {
    c.probe_timeout = positive(parse_duration(value), value);
  } else if (key == "probe_bytes") {
    c.probe_bytes = parse_count(value, 4096, 1024 * 1024);
    if (c.probe_bytes % 4096 != 0)
      throw std::invalid_argument(fmt::format("\"{}\" is not a multiple of 4096", value));
  } else if (key == "readd") {
    if (value == "auto") {
      c.readd = ReaddPolicy::kAuto;
    } else if (value == "manual") {
      c.readd = ReaddPolicy::kManual;
    } else {
      throw std::invalid_argument(fmt::format("\"{}\" is not auto or manual", value));
    }
  } else if (key == "readd_after_good_probes") {
    c.readd_after_good_probes = parse_count(value, 1, 1000);
  } else if (key == "resync_stall_timeout") {
    c.resync_stall_timeout = positive(parse_duration(value), value);
  } else if (key == "resync_stall_action") {
    if (value == "report") {
      c.resync_stall_action = StallAction::kReport;
    } else if (value == "fail_leg") {
      c.resync_stall_action = StallAction::kFailLeg;
    } else {
      throw std::invalid_argument(fmt::format("\"{}\" is not report or fail_leg", value));
    }
  } else if (key == "action_limit_max") {
    c.action_limit_max = parse_count(value, 0, 1000);
  } else if (key == "action_limit_period") {
    c.action_limit_period = positive(parse_duration(value), value);
  } else if (key == "observe_only") {
    c.observe_only = parse_yes_no(value);
  } else if (key == "log_dir") {
    if (value.empty() || value[0] != '/')
      throw std::invalid_argument(fmt::format("\"{}\" is not an absolute path", value));
    c.log_dir = value;
  } else if (key == "retention_days") {
    // A number of days, or a duration with its unit.
    const bool plain = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
    c.retention = plain ? std::chrono::hours(24) * parse_count(value, 1, 36500)
                        : positive(parse_duration(value), value);
  } else if (key == "program") {
    if (!value.empty() && value[0] != '/')
      throw std::invalid_argument(fmt::format("\"{}\" is not an absolute path", value));
    c.program = value;
  } else if (key == "program_timeout") {
    c.program_timeout = positive(parse_duration(value), value);
  }
}

// Where each key is set, and the first line that is not `key = value`;
// Boost.Program_options reads the values but does not say on which line.
struct Lines {
  std::map<std::string, unsigned> line_of;  // the first line of each key
  std::map<std::string, unsigned> again;    // the second line of a key given twice
  unsigned bad_line = 0;
  std::string bad_text;
};

Lines scan(const std::string& text) {
  Lines out;
  std::istringstream in(text);
  std::string raw;
  unsigned n = 0;
  while (std::getline(in, raw)) {
    n++;
    const std::string line = trim(raw.substr(0, raw.find('#')));
    if (line.empty()) continue;
    const auto eq = line.find('=');
    const std::string key = eq == std::string::npos ? "" : trim(line.substr(0, eq));
    if (key.empty() || key.find_first_of(" \t[]") != std::string::npos) {
      if (out.bad_line == 0) {
        out.bad_line = n;
        out.bad_text = line;
      }
      continue;
    }
    if (!out.line_of.emplace(key, n).second) out.again.emplace(key, n);
  }
  return out;
}

}  // namespace

ConfigError::ConfigError(const std::string& file, unsigned line, std::string key,
                         const std::string& why)
    : std::runtime_error(line > 0 ? fmt::format("{}:{}: {}: {}", file, line, key, why)
                                  : fmt::format("{}: {}: {}", file, key, why)),
      key_(std::move(key)),
      line_(line) {}

Duration parse_duration(const std::string& text) {
  const auto unit_at = text.find_first_not_of("0123456789");
  if (unit_at == 0 || text.empty()) {
    throw std::invalid_argument(
        fmt::format("\"{}\" is not a duration (a number and a unit: ms, s, min, h, d)", text));
  }
  if (unit_at == std::string::npos) {
    throw std::invalid_argument(
        fmt::format("\"{}\" has no unit (write e.g. {}s or {}ms)", text, text, text));
  }
  const std::string_view unit = std::string_view(text).substr(unit_at);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + unit_at, n);
  if (ec != std::errc() || n > int64_t{1} << 40)
    throw std::invalid_argument(fmt::format("\"{}\" is too long a duration", text));
  for (const Unit& u : kUnits) {
    if (u.name == unit) return Duration(n * u.ms);
  }
  throw std::invalid_argument(
      fmt::format("\"{}\": unknown unit \"{}\" (ms, s, min, h, d)", text, unit));
}

std::string format_duration(Duration d) {
  // The largest unit that divides it.
  for (size_t i = kUnits.size(); i-- > 0;) {
    const Unit& u = kUnits.at(i);
    if (d.count() != 0 && d.count() % u.ms == 0)
      return fmt::format("{}{}", d.count() / u.ms, u.name);
  }
  return fmt::format("{}ms", d.count());
}

Config parse_config(const std::string& text, const std::string& file) {
  const Lines lines = scan(text);
  if (lines.bad_line != 0) {
    throw ConfigError(file, lines.bad_line, lines.bad_text,
                      "not a \"key = value\" line (sections are not used)");
  }
  po::options_description desc;
  for (const char* key : kKeys) desc.add_options()(key, po::value<std::string>());
  po::variables_map vm;
  std::istringstream in(text);
  try {
    po::store(po::parse_config_file(in, desc, false), vm);
  } catch (const po::unknown_option& e) {
    const std::string key = e.get_option_name();
    const auto it = lines.line_of.find(key);
    throw ConfigError(file, it == lines.line_of.end() ? 0 : it->second, key, "unknown key");
  } catch (const po::multiple_occurrences& e) {
    const std::string key = e.get_option_name();
    const auto it = lines.again.find(key);
    throw ConfigError(file, it == lines.again.end() ? 0 : it->second, key,
                      fmt::format("given again (first on line {})", lines.line_of.at(key)));
  } catch (const po::error& e) {
    throw ConfigError(file, 0, "-", e.what());
  }
  Config c;
  for (const char* key : kKeys) {
    if (vm.count(key) == 0) continue;
    try {
      apply(c, key, trim(vm[key].as<std::string>()));
    } catch (const std::invalid_argument& e) {
      const auto it = lines.line_of.find(key);
      throw ConfigError(file, it == lines.line_of.end() ? 0 : it->second, key, e.what());
    }
  }
  return c;
}

Config load_config(const std::string& path, bool missing_ok) {
  if (path.empty()) return Config{};
  std::ifstream in(path);
  if (!in) {
    if (missing_ok) return Config{};
    throw ConfigError(path, 0, "-", "cannot be read (missing, or not readable)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

std::vector<std::string> describe(const Config& c) {
  const auto days = std::chrono::duration_cast<std::chrono::hours>(c.retention).count();
  const bool whole_days = c.retention % std::chrono::hours(24) == Duration::zero();
  return {
      fmt::format("probe_interval = {}", format_duration(c.probe_interval)),
      fmt::format("probe_timeout = {}", format_duration(c.probe_timeout)),
      fmt::format("probe_bytes = {}", c.probe_bytes),
      fmt::format("readd = {}", c.readd == ReaddPolicy::kAuto ? "auto" : "manual"),
      fmt::format("readd_after_good_probes = {}", c.readd_after_good_probes),
      fmt::format("resync_stall_timeout = {}", format_duration(c.resync_stall_timeout)),
      fmt::format("resync_stall_action = {}",
                  c.resync_stall_action == StallAction::kReport ? "report" : "fail_leg"),
      fmt::format("action_limit_max = {}", c.action_limit_max),
      fmt::format("action_limit_period = {}", format_duration(c.action_limit_period)),
      fmt::format("observe_only = {}", c.observe_only ? "yes" : "no"),
      fmt::format("log_dir = {}", c.log_dir),
      whole_days ? fmt::format("retention_days = {}", days / 24)
                 : fmt::format("retention_days = {}", format_duration(c.retention)),
      c.program.empty() ? std::string("program =") : fmt::format("program = {}", c.program),
      fmt::format("program_timeout = {}", format_duration(c.program_timeout)),
  };
}

}  // namespace bb::healthd
