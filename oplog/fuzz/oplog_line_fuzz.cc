// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer: bytes as lines of kernel text, journal JSON and /dev/kmsg
// records, through the sources' parsers, the line parser and the timeline.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "oplog/log_source.h"
#include "oplog/timeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)bb::oplog::parse_kmsg_record(text);
  std::istringstream in(text);
  try {
    const auto records = bb::oplog::read_records(in);
    const auto timeline = bb::oplog::build_timeline(records);
    (void)bb::oplog::timeline_text(timeline);
    (void)bb::oplog::timeline_json(timeline);
  } catch (const std::runtime_error&) {
    // Malformed JSON lines are refused with an error: expected.
  }
  return 0;
}
