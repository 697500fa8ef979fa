// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/kernel_line.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <regex>

#include <fmt/format.h>

#include "oplog/catalogue.h"

namespace bb::oplog {

namespace {

constexpr std::string_view kPrefix = "device-mapper: ";
constexpr std::array<std::string_view, 2> kTargets = {"bb-log-writes", "bb-mirror"};
// Daemons write "<program>: <object> [<CAT>:<id>] <text>" (oplog/line_writer.h).
constexpr std::array<std::string_view, 1> kDaemons = {"dirtylogd"};

template <typename T>
T number(const std::ssub_match& m) {
  T value{};
  const auto* first = &*m.first;
  std::from_chars(first, first + m.length(), value);
  return value;
}

// The fields of the lines a timeline is built from; the catalogue has
// already matched the text against the id's pattern.
Fields decode(const KernelLine& line) {
  // NOLINTBEGIN(cert-err58-cpp): the patterns are constant and valid.
  static const std::regex received(R"(^(\w+) received \(seq (\d+)\)(?:: (.*))?$)");
  static const std::regex done(R"(^(\w+) done: (-?\d+) \(seq (\d+), (\d+) ms\)(?:: (.*))?$)");
  static const std::regex state(R"(^(\w+)\( ([\w-]+) -> ([\w-]+) \) \[([^\]]*)\] ?(.*)$)");
  static const std::regex started(
      R"(^resync started \((.*)\): (\d+) of (\d+) regions \((\d+) KiB\) from leg (-?\d+) to ([0-9,]+)( \(paused\))?$)");
  static const std::regex range(R"(^resync (copied|skipped in-sync) regions (\d+)-(\d+)$)");
  static const std::regex progress(
      R"(^resync progress: (\d+)% \((\d+) of (\d+) regions, (\d+) KiB; (\d+) K/sec\)$)");
  static const std::regex ended(
      R"(^resync (?:done|stopped \((.*)\)): (\d+) regions, (\d+) KiB \(total (\d+) sec; paused (\d+) sec; (\d+) K/sec\)$)");
  static const std::regex dropped(R"(^rate limit: (\d+) lines dropped)");
  // NOLINTEND(cert-err58-cpp)
  std::smatch m;
  const std::string& t = line.text;
  if (line.category == "CMD" && (line.id == 1 || line.id == 3) && std::regex_match(t, m, received))
    return CommandReceived{m[1].str(), number<uint32_t>(m[2]), m[3].str()};
  if (line.category == "CMD" && line.id >= 2 && line.id <= 5 && std::regex_match(t, m, done)) {
    return CommandDone{m[1].str(), number<uint32_t>(m[3]), number<int>(m[2]),
                       number<uint64_t>(m[4]), m[5].str()};
  }
  if (line.category == "STATE" && std::regex_match(t, m, state))
    return StateChange{m[1].str(), m[2].str(), m[3].str(), m[4].str(), m[5].str()};
  if (line.category == "SYNC") {
    if (std::regex_match(t, m, started)) {
      return ResyncStarted{m[1].str(),
                           number<uint64_t>(m[2]),
                           number<uint64_t>(m[3]),
                           number<uint64_t>(m[4]),
                           number<int>(m[5]),
                           m[6].str(),
                           m[7].matched};
    }
    if (std::regex_match(t, m, range))
      return ResyncRange{m[1].str() == "copied", number<uint64_t>(m[2]), number<uint64_t>(m[3])};
    if (std::regex_match(t, m, progress)) {
      return ResyncProgress{number<unsigned>(m[1]), number<uint64_t>(m[2]), number<uint64_t>(m[3]),
                            number<uint64_t>(m[4]), number<uint64_t>(m[5])};
    }
    if (std::regex_match(t, m, ended)) {
      return ResyncEnded{!m[1].matched,          m[1].str(),
                         number<uint64_t>(m[2]), number<uint64_t>(m[3]),
                         number<uint64_t>(m[4]), number<uint64_t>(m[5]),
                         number<uint64_t>(m[6])};
    }
  }
  if (line.category == "RATE" && std::regex_search(t, m, dropped))
    return RateDropped{number<uint64_t>(m[1])};
  return std::monostate{};
}

std::string check_against_catalogue(const KernelLine& line) {
  const CatalogueEntry* e = find_entry(line.id);
  if (!e) return fmt::format("id {} is not in the catalogue", line.id);
  if (e->category != line.category) {
    return fmt::format("id {} is a {} line in the catalogue, not {}", line.id, e->category,
                       line.category);
  }
  if (e->target != "all" && e->target != line.target) {
    return fmt::format("id {} is a line of {} in the catalogue, not of {}", line.id, e->target,
                       line.target);
  }
  if (!std::regex_match(line.text, e->pattern))
    return fmt::format("the text does not fit id {}'s \"{}\"", line.id, e->text);
  return "";
}

}  // namespace

std::optional<KernelLine> parse_kernel_line(std::string_view message) {
  const bool kernel = message.starts_with(kPrefix);
  if (kernel) message.remove_prefix(kPrefix.size());
  const auto colon = message.find(": ");
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view who = message.substr(0, colon);
  if (kernel ? std::find(kTargets.begin(), kTargets.end(), who) == kTargets.end()
             : std::find(kDaemons.begin(), kDaemons.end(), who) == kDaemons.end())
    return std::nullopt;
  KernelLine line;
  line.target = std::string(who);
  message.remove_prefix(colon + 2);
  // NOLINTNEXTLINE(cert-err58-cpp): constant and valid.
  static const std::regex shape(R"(^(\S+) \[([A-Z]+):(\d{1,9})\] (.*)$)");
  const std::string rest(message);
  std::smatch m;
  if (!std::regex_match(rest, m, shape)) {
    line.text = rest;
    line.problem = "a line of our target without the \"<device> [<CATEGORY>:<id>] \" shape";
    return line;
  }
  line.device = m[1].str();
  line.category = m[2].str();
  line.id = number<int>(m[3]);
  line.text = m[4].str();
  line.problem = check_against_catalogue(line);
  if (line.problem.empty()) line.fields = decode(line);
  return line;
}

}  // namespace bb::oplog
