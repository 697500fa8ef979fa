// SPDX-License-Identifier: GPL-2.0-or-later
// The checker's report: one line per checked state in log order (entry,
// kind, verdict, time; the check's output under failures), a summary, and
// for the first failure the kept images and the blocks that differ from the
// last good point with the entries that wrote them. Also as JSON (--json)
// and as JUnit XML (--junit FILE) for CI.
#pragma once

#include <cstdio>
#include <string>

#include "crashcheck/checker.h"

namespace bb::crashcheck {

// "   1234  FUA            pass    38 ms" (+ output lines when failed or verbose).
[[nodiscard]] std::string format_result_line(const StateResult& r, bool with_output);
std::string format_summary(const RunResult& run);
// The JSON report's version ("run": {"format": N}): what `bb-crashcheck
// merge` reads; raised when a member it reads changes meaning.
inline constexpr unsigned kReportFormat = 1;
[[nodiscard]] std::string format_json(const RunResult& run);
// "pass", "fail", "error": the JSON report's verdicts.
[[nodiscard]] const char* verdict_json(Verdict v);
std::string format_junit(const RunResult& run, const std::string& log_name);

// Escapes XML text (JSON strings: common/json.h).
std::string xml_escape(const std::string& s);

}  // namespace bb::crashcheck
