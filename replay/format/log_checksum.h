// SPDX-License-Identifier: GPL-2.0-or-later
// Checksums used around the log (the format itself has none):
// CRC32C of entry data in dumps (so a dump can be compared with another
// writer's log without the data), FNV-1a 64 for index validation, and a
// four-lane FNV variant for the index file's own checksum.
#pragma once

#include <cstdint>
#include <span>

namespace bb::logwrites {

// CRC32C (Castagnoli), standard init/xorout: crc32c("123456789") == 0xe3069283.
// Chain calls by passing the previous result as `crc`.
[[nodiscard]] uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc = 0);

class Fnv64 {
 public:
  void add(std::span<const uint8_t> bytes);
  void add_u64(uint64_t v);
  // Faster variant for large buffers: mixes 64-bit little-endian words
  // (a short tail is zero-padded). Not byte-compatible with add().
  void add_words(std::span<const uint8_t> bytes);
  [[nodiscard]] uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// FNV-1a over 64-bit little-endian words in four interleaved lanes (word i
// goes to lane i % 4), folded with the length at the end. The lanes are
// independent multiply chains, so a CPU runs them side by side: checking
// an 8 MB index file costs a fraction of a millisecond instead of the
// 1-2 ms of one serial chain. A short tail is zero-padded.
[[nodiscard]] uint64_t lane_hash64(std::span<const uint8_t> bytes);

}  // namespace bb::logwrites
