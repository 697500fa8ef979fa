// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/report.h"

#include <iterator>

#include <fmt/format.h>

#include "common/json.h"

namespace bb::crashcheck {

namespace {

std::string indent_output(const std::string& out) {
  std::string s;
  size_t start = 0;
  while (start < out.size()) {
    size_t nl = out.find('\n', start);
    if (nl == std::string::npos) nl = out.size();
    s += "         | " + out.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  return s;
}

std::string json_run(const RunIdentity& run) {
  return fmt::format(
      "{{\"format\":{},\"version\":{},\"log\":{},\"log_entries\":{},\"log_digest\":{},"
      "\"options\":{},\"stop_at_first_failure\":{},\"shard\":{},\"shards\":{},\"points_total\":{}}"
      "}",
      kReportFormat, common::json_string(run.version), common::json_string(run.log),
      run.log_entries, common::json_string(run.log_digest), common::json_string(run.options),
      run.stop_at_first_failure, run.shard.index, run.shard.count, run.points_total);
}

std::string json_result(const StateResult& r) {
  std::string dropped;
  for (uint64_t e : r.variant.dropped) {
    if (!dropped.empty()) dropped += ',';
    dropped += std::to_string(e);
  }
  std::string torn = r.variant.torn
                         ? fmt::format("{{\"entry\":{},\"sectors_landed\":{}}}",
                                       r.variant.torn->entry, r.variant.torn->sectors_landed)
                         : "null";
  // "flags" and "mark" after the rest: what `bb-crashcheck merge` reads
  // the point back from ("kind" is made from them).
  return fmt::format(
      "{{\"entry\":{},\"kind\":{},\"state\":{},\"dropped\":[{}],\"torn\":{},\"verdict\":\"{"
      "}\","
      "\"seconds\":{:.4f},\"output\":{},\"same_as\":{},\"flags\":{},\"mark\":{}}}",
      r.point.entry, common::json_string(r.point.kind()), common::json_string(r.variant.describe()),
      dropped, torn, verdict_json(r.verdict), r.seconds, common::json_string(r.output),
      r.same_as ? std::to_string(*r.same_as) : "null", r.point.flags,
      common::json_string(r.point.mark));
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kError:
      return "ERROR";
  }
  return "?";
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 forbids most control characters even escaped.
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string format_result_line(const StateResult& r, bool with_output) {
  std::string line = fmt::format("{:>8}  {:<18} {:<6} {:>6.0f} ms", r.point.entry, r.point.kind(),
                                 verdict_name(r.verdict), r.seconds * 1000);
  if (!r.variant.is_prefix()) line += "  " + r.variant.describe();
  if (r.same_as) line += fmt::format("  same state as entry {}", *r.same_as);
  line += "\n";
  if (with_output || r.verdict != Verdict::kPass) line += indent_output(r.output);
  return line;
}

std::string format_summary(const RunResult& run) {
  const RunSummary& s = run.summary;
  std::string out;
  for (const std::string& n : run.notes) out += "note: " + n + "\n";
  out += fmt::format(
      "summary: {} points, {} states checked: {} passed, {} failed, {} errors{}{}\n"
      "         entries {}..{}, check {}, {} views, {} jobs; replay+views {:.2f} s, wall {:.2f} "
      "s\n",
      s.points, s.states, s.passed, s.failed, s.errors,
      s.duplicates_skipped != 0 ? fmt::format(", {} duplicate states skipped", s.duplicates_skipped)
                                : "",
      s.stopped_early ? " (stopped at the first failure)" : (s.interrupted ? " (interrupted)" : ""),
      s.start_entry, s.end_entry, s.check, s.view, s.jobs, s.replay_seconds, s.wall_seconds);
  if (s.capped_points != 0) {
    out += fmt::format("         {} points had more states than --max-states-per-point\n",
                       s.capped_points);
  }
  if (run.run.shard.count > 1) {
    out += fmt::format("         shard {}: {} of the run's {} points\n", run.run.shard.describe(),
                       s.points, run.run.points_total);
  }
  if (!run.first_failure) return out;
  const FirstFailure& f = *run.first_failure;
  out += fmt::format("first failure: entry {} ({}){}; last good: {}\n", f.failing.point.entry,
                     f.failing.point.kind(),
                     f.failing.variant.is_prefix() ? "" : ", " + f.failing.variant.describe(),
                     f.good_label);
  if (f.fail_image.empty()) return out;
  out +=
      fmt::format("kept crash images (before recovery): {} and {}\n", f.fail_image, f.good_image);
  out += fmt::format("{} sectors differ in {} runs{}:\n", f.diff.differing_sectors,
                     f.diff.ranges.size(), f.diff.truncated ? " (list truncated)" : "");
  for (const DiffRange& r : f.diff.ranges) {
    out += fmt::format("  sectors {}..{} written by entries {}\n", r.sector,
                       r.sector + r.nr_sectors - 1, fmt::join(r.writers, ", "));
  }
  return out;
}

const char* verdict_json(Verdict v) {
  return v == Verdict::kPass ? "pass" : v == Verdict::kFail ? "fail" : "error";
}

std::string format_json(const RunResult& run) {
  const RunSummary& s = run.summary;
  std::string out = "{\"results\":[";
  for (size_t i = 0; i < run.results.size(); ++i) {
    if (i != 0) out += ',';
    out += json_result(run.results[i]);
  }
  out += fmt::format(
      "],\"summary\":{{\"start_entry\":{},\"end_entry\":{},\"points\":{},\"states\":{},\"passed\":{"
      "},\"failed\":{},"
      "\"errors\":{},\"duplicates_skipped\":{},\"capped_points\":{},\"stopped_early\":{},"
      "\"interrupted\":{},"
      "\"replay_seconds\":{:.4f},"
      "\"wall_seconds\":{:.4f},\"view\":\"{}\",\"check\":{},\"jobs\":{}}}",
      s.start_entry, s.end_entry, s.points, s.states, s.passed, s.failed, s.errors,
      s.duplicates_skipped, s.capped_points, s.stopped_early, s.interrupted, s.replay_seconds,
      s.wall_seconds, s.view, common::json_string(s.check), s.jobs);
  out += ",\"notes\":[";
  for (size_t i = 0; i < run.notes.size(); ++i)
    out += fmt::format("{}{}", i != 0 ? "," : "", common::json_string(run.notes[i]));
  out += "],\"run\":" + json_run(run.run) + ",\"first_failure\":";
  if (!run.first_failure) return out + "null}\n";
  const FirstFailure& f = *run.first_failure;
  out += fmt::format(
      "{{\"result\":{},\"good_entry\":{},\"good\":{},\"good_image\":{},\"fail_image\":{},"
      "\"differing_sectors\":{},\"truncated\":{},\"ranges\":[",
      json_result(f.failing), f.good_entry ? std::to_string(*f.good_entry) : "null",
      common::json_string(f.good_label), common::json_string(f.good_image),
      common::json_string(f.fail_image), f.diff.differing_sectors, f.diff.truncated);
  for (size_t i = 0; i < f.diff.ranges.size(); ++i) {
    const DiffRange& r = f.diff.ranges[i];
    out += fmt::format("{}{{\"sector\":{},\"nr_sectors\":{},\"writers\":[{}]}}", i != 0 ? "," : "",
                       r.sector, r.nr_sectors, fmt::join(r.writers, ","));
  }
  return out + "]}}\n";
}

std::string format_junit(const RunResult& run, const std::string& log_name) {
  const RunSummary& s = run.summary;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuite name=\"bb-crashcheck {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" "
      "time=\"{:.3f}\">\n",
      xml_escape(log_name), s.states, s.failed, s.errors, s.wall_seconds);
  for (const StateResult& r : run.results) {
    if (r.same_as) continue;  // not checked: no test case of its own
    std::string name = fmt::format("entry {} {}", r.point.entry, r.point.kind());
    if (!r.variant.is_prefix())
      fmt::format_to(std::back_inserter(name), " {}", r.variant.describe());
    out += fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"",
                       xml_escape(s.check), xml_escape(name), r.seconds);
    if (r.verdict == Verdict::kPass) {
      out += "/>\n";
      continue;
    }
    const char* tag = r.verdict == Verdict::kFail ? "failure" : "error";
    out += fmt::format(">\n    <{} message=\"{} check failed\">{}</{}>\n  </testcase>\n", tag,
                       xml_escape(s.check), xml_escape(r.output), tag);
  }
  return out + "</testsuite>\n";
}

}  // namespace bb::crashcheck
