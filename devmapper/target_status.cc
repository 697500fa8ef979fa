// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/target_status.h"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace bb::devmapper {

namespace {

uint64_t to_number(const std::string& device, const std::string& what, const std::string& text,
                   const char* where) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    throw std::invalid_argument(
        fmt::format("{}: {} field {} is \"{}\", not a number", device, where, what, text));
  }
  return v;
}

// A cursor over the words of a line that names the field it misses.
class Words {
 public:
  Words(const std::string& device, std::string_view line, const char* where)
      : device_(device), words_(split_params(line)), where_(where) {}
  const std::string& next(const std::string& what) {
    if (pos_ >= words_.size())
      throw std::invalid_argument(fmt::format("{}: {} ends before {}", device_, where_, what));
    return words_[pos_++];
  }
  uint64_t number(const std::string& what) { return to_number(device_, what, next(what), where_); }
  [[nodiscard]] bool done() const { return pos_ >= words_.size(); }

 private:
  const std::string& device_;
  std::vector<std::string> words_;
  const char* where_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<std::string> split_params(std::string_view params) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < params.size()) {
    while (i < params.size() && (params[i] == ' ' || params[i] == '\t')) i++;
    const size_t b = i;
    while (i < params.size() && params[i] != ' ' && params[i] != '\t') i++;
    if (i > b) out.emplace_back(params.substr(b, i - b));
  }
  return out;
}

MirrorStatus parse_mirror_status(const std::string& device, std::string_view params) {
  Words w(device, params, "status");
  MirrorStatus s;
  const uint64_t legs = w.number("#legs");
  if (legs < 1 || legs > 32)
    throw std::invalid_argument(fmt::format("{}: status says {} legs", device, legs));
  s.legs.resize(legs);
  for (auto& leg : s.legs) leg.dev = w.next("leg device");
  const std::string sync = w.next("in_sync/total");
  const auto slash = sync.find('/');
  if (slash == std::string::npos) {
    throw std::invalid_argument(
        fmt::format("{}: status field in_sync/total is \"{}\"", device, sync));
  }
  s.in_sync = to_number(device, "in_sync", sync.substr(0, slash), "status");
  s.total = to_number(device, "total", sync.substr(slash + 1), "status");
  (void)w.number("health count");
  const std::string health = w.next("health");
  const uint64_t log_words = w.number("log status count");
  for (uint64_t i = 0; i < log_words; i++) {
    const std::string& word = w.next("log status");
    if (i == 0) s.log_type = word;
  }
  (void)w.number("#ours");
  s.resync = w.next("resync state");
  s.copied = w.number("regions copied");
  s.remaining = w.number("regions remaining");
  s.rate = w.number("rate");
  s.eta = w.number("eta");
  const std::string states = w.next("leg states");
  const std::string source = w.next("source leg");
  if (health.size() != legs || states.size() != legs) {
    throw std::invalid_argument(
        fmt::format("{}: status has {} health letters and {} leg states for {} legs", device,
                    health.size(), states.size(), legs));
  }
  for (size_t i = 0; i < legs; i++) {
    s.legs[i].health = health[i];
    s.legs[i].state = states[i];
  }
  s.source_leg =
      source == "-1" ? -1 : static_cast<int>(to_number(device, "source leg", source, "status"));
  return s;
}

std::vector<MirrorLeg> parse_mirror_legs(const std::string& device, std::string_view table_params) {
  Words w(device, table_params, "table");
  (void)w.next("log type");
  const uint64_t log_args = w.number("#log args");
  for (uint64_t i = 0; i < log_args; i++) (void)w.next("log argument");
  const uint64_t legs = w.number("#legs");
  if (legs < 1 || legs > 32)
    throw std::invalid_argument(fmt::format("{}: table says {} legs", device, legs));
  std::vector<MirrorLeg> out(legs);
  for (auto& leg : out) {
    leg.dev = w.next("leg device");
    leg.offset = w.number("leg offset");
  }
  return out;
}

LogWritesStatus parse_log_writes_status(const std::string& device, std::string_view params) {
  Words w(device, params, "status");
  LogWritesStatus s;
  s.entries = w.number("entries");
  s.highest_sector = w.number("highest sector");
  s.state = w.next("state");
  s.used = w.number("log bytes used");
  s.free = w.number("log bytes free");
  s.stop = w.next("stop reason");
  s.stop_entry = w.next("stop entry");
  return s;
}

}  // namespace bb::devmapper
