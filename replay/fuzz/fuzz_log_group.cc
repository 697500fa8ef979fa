// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: group tags and LogGroup. The input is split in two
// logs (at a point its first byte chooses); both are read with their tags,
// indexed (and the index round-tripped through its file format), and put
// together as one group, whose order, prefixes and mark lookups must hold
// up. Must never crash; errors are LogError or GroupError.
#include "format/log_error.h"
#include "format/log_group.h"
#include "format/log_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bb::logwrites;
  if (size < 2) return 0;
  auto bytes = std::span(data + 1, size - 1);
  size_t cut = bytes.size() * data[0] / 255;
  std::span<const uint8_t> parts[2] = {bytes.first(cut), bytes.subspan(cut)};
  std::vector<LogIndex> indexes;
  for (auto part : parts) {
    MemoryLogSource source(part);
    try {
      LogReader reader(source);
      LogIndex idx = LogIndex::deserialize(LogIndex::build(reader).serialize());
      indexes.push_back(std::move(idx));
    } catch (const LogError&) {
      return 0;
    }
  }
  try {
    LogGroup group({{"a", &indexes[0]}, {"b", &indexes[1]}});
    uint64_t prev = 0;
    for (size_t k = 0; k < group.size(); ++k) {
      const GroupEntry& e = group.order()[k];
      if (e.seq <= prev) __builtin_trap();
      prev = e.seq;
      auto counts = group.prefix(k);
      if (counts[e.device] != e.entry + 1) __builtin_trap();
      if (group.position_at_seq(e.seq) != k) __builtin_trap();
      if (const std::string* text = group.mark_text(k)) {
        auto found = group.find_mark(*text);
        if (!found || *found > k) __builtin_trap();
      }
    }
    (void)group.next_with_flags(kFlagFua, 0);
  } catch (const GroupError&) {
  }
  return 0;
}
