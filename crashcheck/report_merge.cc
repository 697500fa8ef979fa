// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/report_merge.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "common/json.h"
#include "crashcheck/error.h"
#include "crashcheck/report.h"

namespace bb::crashcheck {

namespace {

using common::JsonValue;

std::optional<uint64_t> optional_u64(const JsonValue& v) {
  if (v.is_null()) return std::nullopt;
  return v.as_u64();
}

Verdict read_verdict(const JsonValue& v) {
  for (Verdict verdict : {Verdict::kPass, Verdict::kFail, Verdict::kError})
    if (v.as_string() == verdict_json(verdict)) return verdict;
  throw CheckerError(fmt::format("unknown verdict \"{}\"", v.as_string()));
}

StateResult read_result(const JsonValue& j) {
  StateResult r;
  r.point.entry = j.at("entry").as_u64();
  r.point.flags = j.at("flags").as_u64();
  r.point.mark = j.at("mark").as_string();
  for (const JsonValue& e : j.at("dropped").as_array()) r.variant.dropped.push_back(e.as_u64());
  if (const JsonValue& t = j.at("torn"); !t.is_null())
    r.variant.torn = TornWrite{t.at("entry").as_u64(), t.at("sectors_landed").as_u64()};
  r.verdict = read_verdict(j.at("verdict"));
  r.seconds = j.at("seconds").as_double();
  r.output = j.at("output").as_string();
  r.same_as = optional_u64(j.at("same_as"));
  return r;
}

RunSummary read_summary(const JsonValue& j) {
  RunSummary s;
  s.start_entry = j.at("start_entry").as_u64();
  s.end_entry = j.at("end_entry").as_u64();
  s.points = j.at("points").as_u64();
  s.states = j.at("states").as_u64();
  s.passed = j.at("passed").as_u64();
  s.failed = j.at("failed").as_u64();
  s.errors = j.at("errors").as_u64();
  s.duplicates_skipped = j.at("duplicates_skipped").as_u64();
  s.capped_points = j.at("capped_points").as_u64();
  s.stopped_early = j.at("stopped_early").as_bool();
  s.interrupted = j.at("interrupted").as_bool();
  s.replay_seconds = j.at("replay_seconds").as_double();
  s.wall_seconds = j.at("wall_seconds").as_double();
  s.view = j.at("view").as_string();
  s.check = j.at("check").as_string();
  s.jobs = static_cast<unsigned>(std::min<uint64_t>(j.at("jobs").as_u64(), UINT32_MAX));
  return s;
}

RunIdentity read_run(const JsonValue& j) {
  if (const uint64_t format = j.at("format").as_u64(); format != kReportFormat) {
    throw CheckerError(
        fmt::format("report format {}; this bb-crashcheck reads format {}", format, kReportFormat));
  }
  RunIdentity run;
  run.version = j.at("version").as_string();
  run.log = j.at("log").as_string();
  run.log_entries = j.at("log_entries").as_u64();
  run.log_digest = j.at("log_digest").as_string();
  run.options = j.at("options").as_string();
  run.stop_at_first_failure = j.at("stop_at_first_failure").as_bool();
  const uint64_t index = j.at("shard").as_u64();
  const uint64_t count = j.at("shards").as_u64();
  if (count == 0 || count > UINT32_MAX || index == 0 || index > count)
    throw CheckerError(fmt::format("shard {} of {} is not a shard", index, count));
  run.shard = {static_cast<unsigned>(index), static_cast<unsigned>(count)};
  run.points_total = j.at("points_total").as_u64();
  return run;
}

FirstFailure read_first_failure(const JsonValue& j) {
  FirstFailure f;
  f.failing = read_result(j.at("result"));
  f.good_entry = optional_u64(j.at("good_entry"));
  f.good_label = j.at("good").as_string();
  f.good_image = j.at("good_image").as_string();
  f.fail_image = j.at("fail_image").as_string();
  f.diff.differing_sectors = j.at("differing_sectors").as_u64();
  f.diff.truncated = j.at("truncated").as_bool();
  for (const JsonValue& r : j.at("ranges").as_array()) {
    DiffRange range{r.at("sector").as_u64(), r.at("nr_sectors").as_u64(), {}};
    for (const JsonValue& w : r.at("writers").as_array()) range.writers.push_back(w.as_u64());
    f.diff.ranges.push_back(std::move(range));
  }
  return f;
}

// The first member in which two reports of one run would differ, or "".
std::string difference(const RunIdentity& a, const RunIdentity& b) {
  if (a.version != b.version) return fmt::format("version ({} and {})", a.version, b.version);
  if (a.log_digest != b.log_digest || a.log_entries != b.log_entries) {
    return fmt::format("log ({}, {} entries, digest {}; {}, {} entries, digest {})", a.log,
                       a.log_entries, a.log_digest, b.log, b.log_entries, b.log_digest);
  }
  if (a.options != b.options) return fmt::format("options ({}; {})", a.options, b.options);
  if (a.shard.count != b.shard.count)
    return fmt::format("number of shards ({} and {})", a.shard.count, b.shard.count);
  if (a.points_total != b.points_total)
    return fmt::format("points ({} and {})", a.points_total, b.points_total);
  return "";
}

void check_shards(const std::vector<NamedReport>& reports) {
  const RunIdentity& first = reports.front().report.run;
  for (const NamedReport& r : reports) {
    if (r.report.run.log_digest.empty()) {
      throw CheckerError(
          fmt::format("{}: not a shard report (made without --shard: no log digest)", r.name));
    }
    if (std::string d = difference(first, r.report.run); !d.empty()) {
      throw CheckerError(fmt::format("{} and {} are not shards of one run: they differ in {}",
                                     reports.front().name, r.name, d));
    }
  }
  std::set<unsigned> seen;
  for (const NamedReport& r : reports) {
    if (!seen.insert(r.report.run.shard.index).second) {
      throw CheckerError(fmt::format("shard {} is given twice (again in {})",
                                     r.report.run.shard.describe(), r.name));
    }
  }
  std::vector<std::string> missing;
  for (unsigned k = 1; k <= first.shard.count; ++k)
    if (seen.count(k) == 0) missing.push_back(fmt::format("{}/{}", k, first.shard.count));
  if (!missing.empty()) {
    throw CheckerError(
        fmt::format("shard{} {} missing", missing.size() > 1 ? "s" : "", fmt::join(missing, ", ")));
  }
}

}  // namespace

RunResult read_report(std::string_view json) {
  try {
    const JsonValue doc = common::parse_json(json);
    RunResult r;
    r.run = read_run(doc.at("run"));
    for (const JsonValue& j : doc.at("results").as_array()) r.results.push_back(read_result(j));
    for (size_t i = 0; i < r.results.size(); ++i) r.results[i].seq = i;
    r.summary = read_summary(doc.at("summary"));
    for (const JsonValue& n : doc.at("notes").as_array()) r.notes.push_back(n.as_string());
    if (const JsonValue& f = doc.at("first_failure"); !f.is_null())
      r.first_failure = read_first_failure(f);
    return r;
  } catch (const common::JsonError& e) {
    throw CheckerError(fmt::format("not a bb-crashcheck JSON report: {}", e.what()));
  }
}

RunResult merge_reports(std::vector<NamedReport> reports) {
  if (reports.empty()) throw CheckerError("no reports to merge");
  check_shards(reports);
  std::sort(reports.begin(), reports.end(), [](const NamedReport& a, const NamedReport& b) {
    return a.report.run.shard.index < b.report.run.shard.index;
  });
  RunResult merged;
  merged.run = reports.front().report.run;
  merged.run.shard = {};
  RunSummary& sum = merged.summary;
  const RunSummary& first = reports.front().report.summary;
  sum.start_entry = first.start_entry;
  sum.end_entry = first.end_entry;
  sum.points = merged.run.points_total;
  sum.check = first.check;
  std::vector<std::string> views;
  bool failed = false;  // with --stop-at-first-failure: the rest is dropped
  for (NamedReport& named : reports) {
    RunResult& r = named.report;
    if (failed) {
      sum.stopped_early = sum.stopped_early || !r.results.empty();
      continue;
    }
    for (const std::string& n : r.notes) {
      if (std::find(merged.notes.begin(), merged.notes.end(), n) == merged.notes.end())
        merged.notes.push_back(n);
    }
    for (StateResult& s : r.results) {
      if (failed) break;
      s.seq = merged.results.size();
      failed = merged.run.stop_at_first_failure && s.verdict != Verdict::kPass;
      merged.results.push_back(std::move(s));
    }
    if (!merged.first_failure && r.first_failure) merged.first_failure = std::move(r.first_failure);
    if (std::find(views.begin(), views.end(), r.summary.view) == views.end())
      views.push_back(r.summary.view);
    sum.capped_points += r.summary.capped_points;
    sum.stopped_early = sum.stopped_early || r.summary.stopped_early;
    sum.interrupted = sum.interrupted || r.summary.interrupted;
    sum.replay_seconds += r.summary.replay_seconds;
    sum.wall_seconds = std::max(sum.wall_seconds, r.summary.wall_seconds);
    sum.jobs += r.summary.jobs;
  }
  sum.view = fmt::format("{}", fmt::join(views, "+"));
  for (const StateResult& r : merged.results) {
    if (r.same_as) {
      ++sum.duplicates_skipped;
      continue;
    }
    ++sum.states;
    if (r.verdict == Verdict::kPass) ++sum.passed;
    if (r.verdict == Verdict::kFail) ++sum.failed;
    if (r.verdict == Verdict::kError) ++sum.errors;
  }
  merged.notes.push_back(fmt::format("merged from {} shard reports", reports.size()));
  return merged;
}

}  // namespace bb::crashcheck
