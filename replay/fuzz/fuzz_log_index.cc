// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: index building over arbitrary logs, the index file
// parser over arbitrary bytes, and validation of a parsed index against a
// log. Must never crash; errors are LogError.
#include "format/log_error.h"
#include "format/log_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bb::logwrites;
  auto bytes = std::span(data, size);
  MemoryLogSource source(bytes);
  try {
    LogReader reader(source);
    LogIndex built = LogIndex::build(reader);
    LogIndex back = LogIndex::deserialize(built.serialize());
    back.validate(reader, true);
    if (built.size() > 0) {
      (void)built.next_with_flags(kKnownFlags, built.size() / 2);
      (void)built.find_mark("mkfs");
    }
  } catch (const LogError&) {
  }
  // The same bytes as an index file, validated against the vector log.
  try {
    LogIndex idx = LogIndex::deserialize(bytes);
    (void)idx.next_with_flags(kFlagFua, 0);
    for (const auto& [entry, text] : idx.marks()) (void)idx.find_mark(text, entry);
  } catch (const LogError&) {
  }
  return 0;
}
