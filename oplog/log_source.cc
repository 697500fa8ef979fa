// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/log_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

#include "common/file_descriptor.h"
#include "common/json.h"
#include "common/system_error.h"

namespace bb::oplog {

namespace {

constexpr std::string_view kMessageStart = "device-mapper: ";
constexpr std::string_view kDaemonStart = "dirtylogd: ";

std::optional<double> micros(const std::map<std::string, std::string>& m, const char* key) {
  const auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  uint64_t us = 0;
  auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), us);
  if (ec != std::errc() || ptr != it->second.data() + it->second.size()) return std::nullopt;
  return static_cast<double>(us) / 1e6;
}

// "[  12.345678]" right before `end` (spaces allowed): the seconds.
std::optional<double> bracket_time(std::string_view text) {
  const auto open = text.rfind('[');
  const auto close = text.rfind(']');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  std::string_view inside = text.substr(open + 1, close - open - 1);
  while (!inside.empty() && inside.front() == ' ') inside.remove_prefix(1);
  const auto dot = inside.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  uint64_t sec = 0;
  uint64_t frac = 0;
  const auto* b = inside.data();
  auto [p1, e1] = std::from_chars(b, b + dot, sec);
  auto [p2, e2] = std::from_chars(b + dot + 1, b + inside.size(), frac);
  if (e1 != std::errc() || e2 != std::errc() || p1 != b + dot || p2 != b + inside.size())
    return std::nullopt;
  double scale = 1;
  for (size_t i = dot + 1; i < inside.size(); i++) scale *= 10;
  return static_cast<double>(sec) + static_cast<double>(frac) / scale;
}

}  // namespace

std::map<std::string, std::string> parse_json_members(std::string_view json) {
  using common::JsonValue;
  const JsonValue doc = common::parse_json(json);
  if (!doc.is_object()) throw common::JsonError("a journal entry is not a JSON object");
  std::map<std::string, std::string> members;
  for (const auto& [name, v] : doc.as_object()) {
    switch (v.type()) {
      case JsonValue::Type::kString:
        members[name] = v.as_string();
        break;
      case JsonValue::Type::kNumber:
        members[name] = v.number_text();
        break;
      case JsonValue::Type::kBool:
        members[name] = v.as_bool() ? "true" : "false";
        break;
      case JsonValue::Type::kNull:
        members[name] = "null";
        break;
      case JsonValue::Type::kArray: {
        // journald's MESSAGE that is not UTF-8: its bytes as numbers.
        std::string bytes;
        for (const JsonValue& b : v.as_array()) {
          if (b.type() != JsonValue::Type::kNumber) break;
          const std::string& digits = b.number_text();
          unsigned n = 0;
          auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
          if (ec != std::errc() || end != digits.data() + digits.size() || n > 255) break;
          bytes += static_cast<char>(n);
        }
        if (bytes.size() == v.as_array().size()) members[name] = bytes;
        break;
      }
      case JsonValue::Type::kObject:
        break;  // skipped
    }
  }
  return members;
}

Record parse_input_line(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  Record r;
  if (line.starts_with("{")) {
    const auto members = parse_json_members(line);
    const auto message = members.find("MESSAGE");
    if (message == members.end()) throw std::runtime_error("a journal entry without MESSAGE");
    r.message = message->second;
    r.time = micros(members, "_SOURCE_MONOTONIC_TIMESTAMP");
    if (!r.time) r.time = micros(members, "__MONOTONIC_TIMESTAMP");
    return r;
  }
  auto start = line.find(kMessageStart);
  if (start == std::string_view::npos) start = line.find(kDaemonStart);
  if (start == std::string_view::npos) {
    r.message = std::string(line);
    return r;
  }
  r.message = std::string(line.substr(start));
  r.time = bracket_time(line.substr(0, start));
  return r;
}

std::vector<Record> read_records(std::istream& in) {
  std::vector<Record> records;
  std::string line;
  uint64_t no = 0;
  while (std::getline(in, line)) {
    no++;
    try {
      Record r = parse_input_line(line);
      r.line_no = no;
      records.push_back(std::move(r));
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("line {}: {}", no, e.what()));
    }
  }
  return records;
}

std::optional<Record> parse_kmsg_record(std::string_view record) {
  const auto semi = record.find(';');
  if (semi == std::string_view::npos) return std::nullopt;
  const std::string_view head = record.substr(0, semi);
  std::array<uint64_t, 3> values{};
  size_t pos = 0;
  for (auto& v : values) {
    const auto comma = head.find(',', pos);
    const auto end = comma == std::string_view::npos ? head.size() : comma;
    auto [ptr, ec] = std::from_chars(head.data() + pos, head.data() + end, v);
    if (ec != std::errc() || ptr != head.data() + end) return std::nullopt;
    if (comma == std::string_view::npos && &v != &values.back()) return std::nullopt;
    pos = end + 1;
  }
  std::string_view message = record.substr(semi + 1);
  message = message.substr(0, message.find('\n'));  // continuation lines: dictionary
  Record r;
  r.line_no = values[1];
  r.time = static_cast<double>(values[2]) / 1e6;
  // kmsg escapes non-printable bytes as \xNN; our lines are plain text.
  r.message = std::string(message);
  return r;
}

std::vector<Record> read_kmsg(const std::string& path) {
  bb::common::FileDescriptor fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) bb::common::throw_errno(fmt::format("cannot open {}", path));
  // As dmesg: from the first record after the last clear (`dmesg -C`), not
  // from the oldest record the buffer still holds. Not /dev/kmsg (a test's
  // file): reads from the start.
  (void)lseek(fd.get(), 0, SEEK_DATA);
  std::vector<Record> records;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EPIPE) continue;  // overwritten while read: go on
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) bb::common::throw_errno(fmt::format("cannot read {}", path));
    if (n == 0) break;
    if (auto r = parse_kmsg_record(std::string_view(buf.data(), static_cast<size_t>(n))))
      records.push_back(std::move(*r));
  }
  return records;
}

}  // namespace bb::oplog
