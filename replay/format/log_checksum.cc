// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_checksum.h"

#include <array>

#include "format/log_format.h"

namespace bb::logwrites {
namespace {

constexpr std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? (c >> 1) ^ 0x82f63b78U : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr auto kCrc32cTable = make_crc32c_table();

}  // namespace

uint32_t crc32c(std::span<const uint8_t> bytes, uint32_t crc) {
  crc = ~crc;
  for (uint8_t b : bytes) crc = kCrc32cTable[(crc ^ b) & 0xffU] ^ (crc >> 8);
  return ~crc;
}

void Fnv64::add(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
}

void Fnv64::add_u64(uint64_t v) {
  std::array<uint8_t, 8> b{};
  for (size_t i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  add(b);
}

void Fnv64::add_words(std::span<const uint8_t> bytes) {
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    h_ ^= load_le64(bytes, i);
    h_ *= 0x100000001b3ULL;
  }
  uint64_t w = 0;
  for (size_t k = 0; i + k < bytes.size(); ++k) w |= uint64_t{bytes[i + k]} << (8 * k);
  h_ ^= w;
  h_ *= 0x100000001b3ULL;
}

uint64_t lane_hash64(std::span<const uint8_t> bytes) {
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  std::array<uint64_t, 4> lane{0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL, 0xcbf29ce4cbf29ce4ULL,
                               0x8422232584222325ULL};
  size_t i = 0;
  for (; i + 32 <= bytes.size(); i += 32) {
    for (size_t k = 0; k < 4; ++k) lane[k] = (lane[k] ^ load_le64(bytes, i + 8 * k)) * kPrime;
  }
  for (size_t k = 0; i < bytes.size(); ++k) {
    uint64_t w = 0;
    for (size_t b = 0; b < 8 && i < bytes.size(); ++b, ++i) w |= uint64_t{bytes[i]} << (8 * b);
    lane[k] = (lane[k] ^ w) * kPrime;
  }
  Fnv64 fold;
  for (uint64_t l : lane) fold.add_u64(l);
  fold.add_u64(bytes.size());
  return fold.value();
}

}  // namespace bb::logwrites
