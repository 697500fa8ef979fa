// SPDX-License-Identifier: GPL-2.0-or-later
// The shared test vectors in tests/vectors/: small logs built
// deterministically with LogWriter, good and bad, and their expected
// decodings (the text `replay-log --dump` prints). bb-make-vectors writes
// them; test_vectors_test checks the committed files byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bb::logwrites {

struct TestVector {
  std::string name;         // file stem: <name>.log, <name>.dump[, <name>.scan.dump]
  std::string description;  // one line, for the README index
  std::vector<uint8_t> log;
  bool has_scan_dump = false;  // also decode with scan_past_end
};

[[nodiscard]] std::vector<TestVector> make_test_vectors();

// The --dump text of `log` (scan_past_end as given).
[[nodiscard]] std::string dump_text(const std::vector<uint8_t>& log, bool scan_past_end);

// Deterministic data for `nr_sectors` sectors at `sector`.
[[nodiscard]] std::vector<uint8_t> pattern_data(uint64_t sector, uint64_t nr_sectors,
                                                uint32_t sectorsize, uint8_t seed);

}  // namespace bb::logwrites
