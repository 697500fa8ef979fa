// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/catalogue.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace bb::oplog {

namespace {

// docs/operation-log.md, embedded by the build (oplog/CMakeLists.txt).
constexpr std::string_view kPage =
#include "operation_log_page.inc"
    ;

// Splits a markdown table row on the bars that are not escaped (`\|`).
std::vector<std::string> split_row(std::string_view row) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 0; i < row.size(); i++) {
    if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cell += '|';
      i++;
    } else if (row[i] == '|') {
      cells.push_back(cell);
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  cells.push_back(cell);
  for (auto& c : cells) {
    const auto first = c.find_first_not_of(' ');
    const auto last = c.find_last_not_of(' ');
    c = first == std::string::npos ? "" : c.substr(first, last - first + 1);
  }
  return cells;
}

std::string escape_regex(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// The regex of text[pos...) up to an unmatched `]` (or the end); pos is left
// on that `]`.
std::string pattern_part(std::string_view text, size_t& pos) {
  std::string out;
  while (pos < text.size() && text[pos] != ']') {
    const char c = text[pos];
    if (c == '<') {
      const auto end = text.find('>', pos);
      if (end == std::string_view::npos) throw std::runtime_error("a '<' without '>'");
      const std::string_view field = text.substr(pos + 1, end - pos - 1);
      if (field.find('|') != std::string_view::npos) {
        // `<a|b>`: one of the words given.
        std::string alt;
        size_t from = 0;
        for (;;) {
          const auto bar = field.find('|', from);
          alt += escape_regex(field.substr(from, bar - from));
          if (bar == std::string_view::npos) break;
          alt += '|';
          from = bar + 1;
        }
        out += "(?:" + alt + ")";
      } else {
        out += ".*?";
      }
      pos = end + 1;
    } else if (c == '[' && pos >= 2 && text.substr(pos - 2, 2) == ") ") {
      // A state change's `[<cause>]`: literal brackets.
      const auto end = text.find(']', pos);
      if (end == std::string_view::npos) throw std::runtime_error("a '[' without ']'");
      size_t inner = pos + 1;
      out += "\\[" + pattern_part(text.substr(0, end), inner) + "\\]";
      pos = end + 1;
    } else if (c == '[') {
      pos++;
      std::string optional = pattern_part(text, pos);
      if (pos >= text.size()) throw std::runtime_error("a '[' without ']'");
      pos++;  // the ']'
      out += "(?:" + optional + ")?";
    } else {
      out += escape_regex(text.substr(pos, 1));
      pos++;
    }
  }
  return out;
}

}  // namespace

std::string pattern_regex(std::string_view text) {
  size_t pos = 0;
  std::string out = pattern_part(text, pos);
  if (pos != text.size()) throw std::runtime_error("a ']' without '['");
  return out;
}

std::vector<CatalogueEntry> parse_catalogue(std::string_view page) {
  const auto start = page.find("\n## Catalogue\n");
  if (start == std::string_view::npos) throw std::runtime_error("no \"## Catalogue\" section");
  std::vector<CatalogueEntry> entries;
  size_t pos = start + 1;
  bool in_table = false;
  while (pos < page.size()) {
    auto eol = page.find('\n', pos);
    if (eol == std::string_view::npos) eol = page.size();
    const std::string_view line = page.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.starts_with("## ") && !line.starts_with("## Catalogue")) break;
    if (!line.starts_with("|")) {
      if (in_table) break;
      continue;
    }
    in_table = true;
    const auto cells = split_row(line);
    // "", id, category, level, target, text, meaning, ""
    if (cells.size() != 8) throw std::runtime_error(fmt::format("catalogue row: {}", line));
    if (cells[1] == "id" || cells[1].starts_with("---")) continue;
    CatalogueEntry e;
    try {
      size_t used = 0;
      e.id = std::stoi(cells[1], &used);
      if (used != cells[1].size()) throw std::invalid_argument("id");
    } catch (const std::logic_error&) {
      throw std::runtime_error(fmt::format("catalogue row with a bad id: {}", line));
    }
    e.category = cells[2];
    e.level = cells[3];
    e.target = cells[4];
    const std::string& text = cells[5];
    if (text.size() < 2 || text.front() != '`' || text.back() != '`')
      throw std::runtime_error(fmt::format("catalogue row {}: text not in backticks", e.id));
    e.text = text.substr(1, text.size() - 2);
    try {
      e.pattern = std::regex("^" + pattern_regex(e.text) + "$");
    } catch (const std::exception& err) {
      throw std::runtime_error(fmt::format("catalogue row {}: {}", e.id, err.what()));
    }
    if (std::any_of(entries.begin(), entries.end(), [&](const auto& o) { return o.id == e.id; }))
      throw std::runtime_error(fmt::format("catalogue lists id {} twice", e.id));
    entries.push_back(std::move(e));
  }
  if (entries.empty()) throw std::runtime_error("the catalogue has no rows");
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return entries;
}

std::span<const CatalogueEntry> catalogue() {
  static const std::vector<CatalogueEntry> entries = parse_catalogue(kPage);
  return entries;
}

const CatalogueEntry* find_entry(int id) {
  const auto all = catalogue();
  const auto it = std::lower_bound(all.begin(), all.end(), id,
                                   [](const CatalogueEntry& e, int v) { return e.id < v; });
  return it != all.end() && it->id == id ? &*it : nullptr;
}

}  // namespace bb::oplog
