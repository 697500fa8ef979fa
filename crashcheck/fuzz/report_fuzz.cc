// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: what `bb-crashcheck merge` reads — the JSON parser of
// common/json.h and the report reader of report_merge.h. Any input either
// reads or throws the reader's own errors; a report that reads must write
// back the JSON it would read again unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/json.h"
#include "crashcheck/error.h"
#include "crashcheck/report.h"
#include "crashcheck/report_merge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)bb::common::parse_json(text);
  } catch (const bb::common::JsonError&) {
  }
  try {
    const bb::crashcheck::RunResult r = bb::crashcheck::read_report(text);
    const std::string json = bb::crashcheck::format_json(r);
    if (bb::crashcheck::format_json(bb::crashcheck::read_report(json)) != json) std::abort();
    (void)bb::crashcheck::format_summary(r);
    (void)bb::crashcheck::merge_reports({{"fuzz", r}});
  } catch (const bb::crashcheck::CheckerError&) {
  }
  return 0;
}
