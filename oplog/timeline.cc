// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/timeline.h"

#include <charconv>

#include <fmt/format.h>

#include "common/json.h"

namespace bb::oplog {

namespace {

using Kind = TimelineStep::Kind;

DeviceTimeline& device_of(Timeline& t, const KernelLine& line) {
  for (auto& d : t.devices)
    if (d.device == line.device && d.target == line.target) return d;
  DeviceTimeline d;
  d.device = line.device;
  d.target = line.target;
  t.devices.push_back(std::move(d));
  return t.devices.back();
}

ResyncRecord* open_resync(DeviceTimeline& d) {
  if (d.resyncs.empty() || d.resyncs.back().end) return nullptr;
  return &d.resyncs.back();
}

uint64_t leading_number(std::string_view text) {
  uint64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

void add_line(DeviceTimeline& d, std::optional<double> time, const KernelLine& line) {
  d.lines.emplace_back(time, line);
  const size_t line_index = d.lines.size() - 1;
  // Lines between a command's pair (the refusal reason among them).
  bool is_reason = false;
  for (auto& c : d.commands) {
    if (c.finished || std::holds_alternative<CommandDone>(line.fields)) continue;
    c.lines_between.push_back(line.id);
    if (line.category == "CMD" && line.id >= 100) {
      c.reason = line.text;
      is_reason = true;
    }
  }
  if (const auto* r = std::get_if<CommandReceived>(&line.fields)) {
    CommandRecord c;
    c.command = r->command;
    c.seq = r->seq;
    c.words = r->words;
    c.received = time;
    d.commands.push_back(std::move(c));
    // Shown where it began, with its result once done.
    d.steps.push_back({Kind::kCommand, time, d.commands.size() - 1});
    return;
  }
  if (const auto* done = std::get_if<CommandDone>(&line.fields)) {
    CommandRecord* c = nullptr;
    // NOLINTNEXTLINE(modernize-loop-convert): the last one first
    for (auto it = d.commands.rbegin(); it != d.commands.rend(); ++it) {
      if (!it->finished && it->command == done->command && it->seq == done->seq) {
        c = &*it;
        break;
      }
    }
    if (!c) {  // its "received" line is not in the input
      CommandRecord orphan;
      orphan.command = done->command;
      orphan.seq = done->seq;
      d.commands.push_back(std::move(orphan));
      d.steps.push_back({Kind::kCommand, time, d.commands.size() - 1});
      c = &d.commands.back();
    }
    c->finished = true;
    c->done = time;
    c->result = done->result;
    c->ms = done->ms;
    if (!done->reason.empty()) c->reason = done->reason;
    if (done->command == "ctr" && done->result == 0 && d.target == "bb-log-writes")
      d.current["log"] = "logging";
    return;
  }
  if (const auto* s = std::get_if<StateChange>(&line.fields)) {
    d.current[s->object] = s->to;
    d.states.push_back({time, line.id, *s, d.current});
    d.steps.push_back({Kind::kState, time, d.states.size() - 1});
    return;
  }
  if (const auto* s = std::get_if<ResyncStarted>(&line.fields)) {
    ResyncRecord r;
    r.started = time;
    r.start = *s;
    d.resyncs.push_back(std::move(r));
    d.current["resync"] = s->paused ? "paused" : "running";
    d.steps.push_back({Kind::kResyncStart, time, d.resyncs.size() - 1});
    return;
  }
  ResyncRecord* r = open_resync(d);
  if (const auto* s = std::get_if<ResyncRange>(&line.fields)) {
    if (r) r->ranges.push_back(*s);
    return;
  }
  if (const auto* s = std::get_if<ResyncProgress>(&line.fields)) {
    if (r) {
      r->progress.push_back(*s);
      d.steps.push_back(
          {Kind::kResyncProgress, time, d.resyncs.size() - 1, r->progress.size() - 1});
    }
    return;
  }
  if (const auto* s = std::get_if<ResyncEnded>(&line.fields)) {
    if (!r) {  // its start is not in the input
      d.resyncs.emplace_back();
      r = &d.resyncs.back();
    }
    r->end = *s;
    r->ended = time;
    d.current["resync"] = "idle";
    d.steps.push_back({Kind::kResyncEnd, time, d.resyncs.size() - 1});
    return;
  }
  if (const auto* s = std::get_if<RateDropped>(&line.fields)) d.lines_dropped += s->lines;
  if (line.category == "SYNC" && line.id == 233 && r)
    r->more_ranges += leading_number(std::string_view(line.text).substr(line.text.find(' ') + 1));
  if (line.category == "SYNC" && line.id == 234 && r) r->ranges_recorded = false;
  // Ranges are shown with their resync's end, a refusal with its command.
  if (line.category == "SYNC" && (line.id == 231 || line.id == 232 || line.id == 233)) return;
  if (is_reason) return;
  d.steps.push_back({Kind::kOther, time, line_index});
}

std::string when(const std::optional<double>& t) {
  return t ? fmt::format("[{:12.6f}]", *t) : std::string("[           -]");
}

std::string ranges_text(const ResyncRecord& r, bool copied) {
  std::string out;
  for (const auto& range : r.ranges) {
    if (range.copied != copied) continue;
    if (!out.empty()) out += ',';
    out += range.first == range.last ? fmt::format("{}", range.first)
                                     : fmt::format("{}-{}", range.first, range.last);
  }
  return out.empty() ? "-" : out;
}

std::string states_text(const std::map<std::string, std::string>& states) {
  std::string out;
  for (const auto& [object, state] : states) out += fmt::format(" {}={}", object, state);
  return out;
}

std::string json_time(const std::optional<double>& t) {
  return t ? fmt::format("{:.6f}", *t) : "null";
}

std::string json_states(const std::map<std::string, std::string>& states) {
  std::string out = "{";
  for (const auto& [object, state] : states) {
    if (out.size() > 1) out += ',';
    out += bb::common::json_string(object) + ":" + bb::common::json_string(state);
  }
  return out + "}";
}

std::string json_ranges(const ResyncRecord& r, bool copied) {
  std::string out = "[";
  for (const auto& range : r.ranges) {
    if (range.copied != copied) continue;
    if (out.size() > 1) out += ',';
    out += fmt::format("[{},{}]", range.first, range.last);
  }
  return out + "]";
}

}  // namespace

Timeline build_timeline(const std::vector<Record>& records, const std::string& device) {
  Timeline t;
  for (const auto& rec : records) {
    auto line = parse_kernel_line(rec.message);
    if (!line) continue;
    if (!device.empty() && line->device != device) continue;
    if (!line->problem.empty()) {
      t.unknown.push_back({rec.line_no, rec.time, rec.message, line->problem});
      continue;
    }
    t.our_lines++;
    add_line(device_of(t, *line), rec.time, *line);
  }
  return t;
}

std::string timeline_text(const Timeline& t) {
  std::string out;
  for (const auto& d : t.devices) {
    out += fmt::format("{} {}\n", d.device, d.target);
    for (const auto& step : d.steps) {
      switch (step.kind) {
        case Kind::kCommand: {
          const auto& c = d.commands[step.index];
          const std::string name =
              c.words.empty() ? c.command : fmt::format("{} {}", c.command, c.words);
          if (!c.finished) {
            out += fmt::format("  {} {} (seq {}): received, NEVER DONE\n", when(c.received), name,
                               c.seq);
          } else {
            out += fmt::format("  {} {} (seq {}): {} in {} ms{}\n",
                               when(c.received ? c.received : c.done), name, c.seq, c.result, c.ms,
                               c.reason.empty() ? "" : ": " + c.reason);
          }
          break;
        }
        case Kind::kState: {
          const auto& s = d.states[step.index];
          out += fmt::format("  {} {}: {} -> {} [{}] =>{}\n", when(s.time), s.change.object,
                             s.change.from, s.change.to, s.change.cause, states_text(s.states));
          break;
        }
        case Kind::kResyncStart: {
          const auto& r = d.resyncs[step.index];
          out +=
              fmt::format("  {} resync started ({}): {} of {} regions, {} KiB, leg {} -> {}{}\n",
                          when(r.started), r.start.why, r.start.regions, r.start.total, r.start.kib,
                          r.start.source, r.start.targets, r.start.paused ? " (paused)" : "");
          break;
        }
        case Kind::kResyncProgress: {
          const auto& r = d.resyncs[step.index];
          const auto& p = r.progress.at(step.sub);
          out += fmt::format("  {} resync {}%: {} of {} regions, {} KiB, {} K/sec\n",
                             when(step.time), p.percent, p.copied, p.regions, p.kib, p.rate);
          break;
        }
        case Kind::kResyncEnd: {
          const auto& r = d.resyncs[step.index];
          const auto& e = *r.end;
          out += fmt::format(
              "  {} resync {}: {} regions, {} KiB in {} s (paused {} s), {} K/sec; copied {}; "
              "skipped {}{}\n",
              when(r.ended), e.done ? "done" : "stopped (" + e.why + ")", e.regions, e.kib,
              e.seconds, e.paused_seconds, e.rate, ranges_text(r, true), ranges_text(r, false),
              r.more_ranges > 0 ? fmt::format(" (+{} ranges not listed)", r.more_ranges) : "");
          break;
        }
        case Kind::kOther: {
          const auto& [time, line] = d.lines[step.index];
          out += fmt::format("  {} [{}:{}] {}\n", when(time), line.category, line.id, line.text);
          break;
        }
      }
    }
    for (const auto& r : d.resyncs) {
      if (!r.end) out += fmt::format("  resync started {} still running\n", when(r.started));
    }
    if (!d.current.empty()) out += fmt::format("  now:{}\n", states_text(d.current));
    if (d.lines_dropped > 0)
      out += fmt::format("  the rate limit dropped {} lines\n", d.lines_dropped);
  }
  if (!t.unknown.empty()) {
    out += fmt::format("lines that look like ours but are not in the catalogue: {}\n",
                       t.unknown.size());
    for (const auto& u : t.unknown)
      out += fmt::format("  line {}: {}\n    {}\n", u.line_no, u.message, u.problem);
  }
  return out;
}

std::string timeline_json(const Timeline& t) {
  using bb::common::json_string;
  std::string out = fmt::format("{{\"our_lines\":{},\"devices\":[", t.our_lines);
  bool first_device = true;
  for (const auto& d : t.devices) {
    if (!first_device) out += ',';
    first_device = false;
    out += fmt::format("{{\"device\":{},\"target\":{},\"commands\":[", json_string(d.device),
                       json_string(d.target));
    for (size_t i = 0; i < d.commands.size(); i++) {
      const auto& c = d.commands[i];
      out += fmt::format(
          "{}{{\"command\":{},\"seq\":{},\"words\":{},\"received\":{},\"done\":{},"
          "\"finished\":{},\"result\":{},\"ms\":{},\"reason\":{}}}",
          i > 0 ? "," : "", json_string(c.command), c.seq, json_string(c.words),
          json_time(c.received), json_time(c.done), c.finished, c.result, c.ms,
          json_string(c.reason));
    }
    out += "],\"states\":[";
    for (size_t i = 0; i < d.states.size(); i++) {
      const auto& s = d.states[i];
      out += fmt::format(
          "{}{{\"time\":{},\"id\":{},\"object\":{},\"from\":{},\"to\":{},\"cause\":{},"
          "\"states\":{}}}",
          i > 0 ? "," : "", json_time(s.time), s.id, json_string(s.change.object),
          json_string(s.change.from), json_string(s.change.to), json_string(s.change.cause),
          json_states(s.states));
    }
    out += "],\"resyncs\":[";
    for (size_t i = 0; i < d.resyncs.size(); i++) {
      const auto& r = d.resyncs[i];
      out += fmt::format(
          "{}{{\"started\":{},\"why\":{},\"regions\":{},\"total_regions\":{},\"kib\":{},"
          "\"source\":{},\"targets\":{},\"copied\":{},\"skipped\":{},\"more_ranges\":{},"
          "\"ranges_recorded\":{},\"progress\":[",
          i > 0 ? "," : "", json_time(r.started), json_string(r.start.why), r.start.regions,
          r.start.total, r.start.kib, r.start.source, json_string(r.start.targets),
          json_ranges(r, true), json_ranges(r, false), r.more_ranges, r.ranges_recorded);
      for (size_t j = 0; j < r.progress.size(); j++) {
        out += fmt::format("{}{}", j > 0 ? "," : "", r.progress[j].percent);
      }
      out += "],\"end\":";
      if (r.end) {
        out += fmt::format(
            "{{\"time\":{},\"done\":{},\"why\":{},\"regions\":{},\"kib\":{},\"seconds\":{},"
            "\"paused_seconds\":{},\"rate\":{}}}",
            json_time(r.ended), r.end->done, json_string(r.end->why), r.end->regions, r.end->kib,
            r.end->seconds, r.end->paused_seconds, r.end->rate);
      } else {
        out += "null";
      }
      out += '}';
    }
    out += fmt::format("],\"now\":{},\"lines_dropped\":{},\"lines\":[", json_states(d.current),
                       d.lines_dropped);
    for (size_t i = 0; i < d.lines.size(); i++) {
      const auto& [time, line] = d.lines[i];
      out +=
          fmt::format("{}{{\"time\":{},\"category\":{},\"id\":{},\"text\":{}}}", i > 0 ? "," : "",
                      json_time(time), json_string(line.category), line.id, json_string(line.text));
    }
    out += "]}";
  }
  out += "],\"unknown\":[";
  for (size_t i = 0; i < t.unknown.size(); i++) {
    const auto& u = t.unknown[i];
    out +=
        fmt::format("{}{{\"line\":{},\"time\":{},\"message\":{},\"problem\":{}}}", i > 0 ? "," : "",
                    u.line_no, json_time(u.time), json_string(u.message), json_string(u.problem));
  }
  return out + "]}\n";
}

}  // namespace bb::oplog
