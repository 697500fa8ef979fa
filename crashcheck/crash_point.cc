// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/crash_point.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "crashcheck/error.h"
#include "format/log_format.h"

namespace bb::crashcheck {
namespace lw = bb::logwrites;

namespace {

uint64_t parse_number(std::string_view text, std::string_view item) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw CheckerError("bad crash point '" + std::string(item) +
                       "': expected fua, flush, mark, every=N or an entry number");
  }
  return value;
}

}  // namespace

PointSelection PointSelection::parse(std::string_view spec) {
  PointSelection s;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    if (item == "fua") {
      s.fua = true;
    } else if (item == "flush") {
      s.flush = true;
    } else if (item == "mark" || item == "marks") {
      s.marks = true;
    } else if (item.starts_with("every=")) {
      s.every = parse_number(item.substr(6), item);
      if (s.every == 0) throw CheckerError("bad crash point 'every=0': N must be at least 1");
    } else {
      s.entries.push_back(parse_number(item, item));
    }
  }
  if (!s.fua && !s.flush && !s.marks && s.every == 0 && s.entries.empty()) {
    throw CheckerError("no crash points selected");
  }
  return s;
}

std::string PointSelection::describe() const {
  std::vector<std::string> items;
  if (fua) items.emplace_back("fua");
  if (flush) items.emplace_back("flush");
  if (marks) items.emplace_back("mark");
  if (every != 0) items.push_back("every=" + std::to_string(every));
  for (uint64_t e : std::set<uint64_t>(entries.begin(), entries.end()))
    items.push_back(std::to_string(e));
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::string CrashPoint::kind() const {
  if ((flags & lw::kFlagMark) != 0) return "mark " + mark;
  uint64_t durable = flags & (lw::kFlagFlush | lw::kFlagFua);
  if (durable == 0) return "entry";
  return lw::flags_to_string(durable);
}

std::vector<CrashPoint> select_points(const lw::LogIndex& index, uint64_t first, uint64_t last,
                                      const PointSelection& selection) {
  std::set<uint64_t> chosen;
  if (index.size() == 0 || first > last) return {};
  last = std::min<uint64_t>(last, index.size() - 1);
  uint64_t mask = (selection.fua ? lw::kFlagFua : 0) | (selection.flush ? lw::kFlagFlush : 0) |
                  (selection.marks ? lw::kFlagMark : 0);
  for (uint64_t i = first; mask != 0 && i <= last; ++i) {
    auto next = index.next_with_flags(mask, i);
    if (!next || *next > last) break;
    chosen.insert(*next);
    i = *next;
  }
  if (selection.every != 0) {
    for (uint64_t i = first + selection.every - 1; i <= last; i += selection.every)
      chosen.insert(i);
  }
  for (uint64_t e : selection.entries) {
    if (e >= first && e <= last) chosen.insert(e);
  }
  std::vector<CrashPoint> points;
  points.reserve(chosen.size());
  for (uint64_t e : chosen) {
    CrashPoint p{e, index.at(e).flags, {}};
    if (const std::string* text = index.mark_text(e)) p.mark = *text;
    points.push_back(std::move(p));
  }
  return points;
}

}  // namespace bb::crashcheck
