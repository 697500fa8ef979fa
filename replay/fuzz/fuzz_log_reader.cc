// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the superblock/entry parser and the dump, on arbitrary
// bytes, in both scan modes. Must never crash; errors are LogError.
#include <cstdio>

#include "format/log_dump.h"
#include "format/log_error.h"
#include "format/log_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bb::logwrites;
  static std::FILE* sink = std::fopen(
      "/dev/null", "w");  // NOLINT(cppcoreguidelines-owning-memory): lives for the process
  MemoryLogSource source(std::span(data, size));
  for (bool scan : {false, true}) {
    try {
      LogReader reader(source, ReaderOptions{scan, false});
      dump_log(reader, sink, DumpFormat::kText);
      reader.seek(0, reader.sectorsize());
      int n = 0;
      while (reader.next() && ++n < 100000) {
      }
    } catch (const LogError&) {
    }
  }
  return 0;
}
