// Checksums used around the log (the format itself has none):
// CRC32C of entry data in dumps (so a dump can be compared with another
// writer's log without the data), FNV-1a 64 for index validation.
#pragma once

#include <cstdint>
#include <span>

namespace bb::logwrites {

// CRC32C (Castagnoli), standard init/xorout: crc32c("123456789") == 0xe3069283.
// Chain calls by passing the previous result as `crc`.
uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc = 0);

class Fnv64 {
 public:
  void add(std::span<const uint8_t> bytes);
  void add_u64(uint64_t v);
  // Faster variant for large buffers: mixes 64-bit little-endian words
  // (a short tail is zero-padded). Not byte-compatible with add().
  void add_words(std::span<const uint8_t> bytes);
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace bb::logwrites
