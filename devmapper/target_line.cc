// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/target_line.h"

#include <charconv>
#include <stdexcept>

namespace bb::devmapper {

namespace {

constexpr std::string_view kBlanks = " \t\r";

std::string_view trim(std::string_view s) {
  size_t first = s.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  size_t last = s.find_last_not_of(kBlanks);
  return s.substr(first, last - first + 1);
}

// Takes the next blank-separated word off the front of `rest`.
std::string_view next_word(std::string_view& rest) {
  size_t end = rest.find_first_of(kBlanks);
  std::string_view word = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : trim(rest.substr(end));
  return word;
}

uint64_t parse_sectors(std::string_view field, std::string_view word, std::string_view line) {
  uint64_t value = 0;
  auto [end, err] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (word.empty() || err != std::errc() || end != word.data() + word.size()) {
    std::string why = err == std::errc::result_out_of_range ? "does not fit 64 bits"
                                                            : "is not a number of sectors";
    throw std::invalid_argument("target line \"" + std::string(line) + "\": " + std::string(field) +
                                " \"" + std::string(word) + "\" " + why);
  }
  return value;
}

}  // namespace

TargetLine parse_target_line(std::string_view text) {
  std::string_view line = trim(text);
  std::string_view rest = line;
  if (line.empty()) {
    throw std::invalid_argument(
        "empty target line: \"<start> <length> <type> [<params>]\" expected");
  }
  TargetLine t;
  t.start = parse_sectors("start", next_word(rest), line);
  if (rest.empty())
    throw std::invalid_argument("target line \"" + std::string(line) + "\": no length");
  t.length = parse_sectors("length", next_word(rest), line);
  if (rest.empty())
    throw std::invalid_argument("target line \"" + std::string(line) + "\": no target type");
  t.type = next_word(rest);
  t.params = rest;
  return t;
}

std::vector<TargetLine> parse_table(std::string_view text) {
  std::vector<TargetLine> table;
  size_t number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    if (trim(line).empty()) continue;
    try {
      table.push_back(parse_target_line(line));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("table line " + std::to_string(number) + ": " + e.what());
    }
  }
  return table;
}

std::string format_target_line(const TargetLine& line) {
  std::string text =
      std::to_string(line.start) + " " + std::to_string(line.length) + " " + line.type;
  if (!line.params.empty()) text += " " + line.params;
  return text;
}

std::string format_table(const std::vector<TargetLine>& table) {
  std::string text;
  for (const TargetLine& line : table) {
    if (!text.empty()) text += "\n";
    text += format_target_line(line);
  }
  return text;
}

}  // namespace bb::devmapper
