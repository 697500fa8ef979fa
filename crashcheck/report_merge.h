// SPDX-License-Identifier: GPL-2.0-or-later
// Shard reports read back and merged: `bb-crashcheck --shard K/N --json`
// writes one report per shard; merge_reports() gives the report one run of
// every point would have given (results in log order, counts, the first
// failure), which report.h prints as text, JSON or JUnit. It refuses
// reports of different logs, options or versions, and a set that is not
// every shard exactly once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crashcheck/checker.h"

namespace bb::crashcheck {

// One JSON report (format_json's), as a RunResult. Throws CheckerError
// naming what is missing or malformed.
[[nodiscard]] RunResult read_report(std::string_view json);

struct NamedReport {
  std::string name;  // where it came from, for errors ("shard-2.json")
  RunResult report;
};

// The merged report; the shards in any order. Results keep their shards'
// verdicts and times; a state one shard checked whose bytes a single run
// would have found identical to a state of another shard is counted as
// checked, not as a duplicate (the verdicts are the same either way).
// Throws CheckerError naming the report and the member that differ.
[[nodiscard]] RunResult merge_reports(std::vector<NamedReport> reports);

}  // namespace bb::crashcheck
