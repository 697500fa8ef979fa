// SPDX-License-Identifier: GPL-2.0-or-later
// A fixed-size set of region bits with the kernel's layout: sized in whole
// 64-bit words (round_up(count, BITS_PER_LONG) bits) and serialised with
// little-endian bit order, bit n in byte n / 8, bit n % 8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace bb::dirtylog {

class RegionBitset {
 public:
  explicit RegionBitset(uint64_t count = 0, bool value = false);

  [[nodiscard]] uint64_t count() const { return count_; }
  // Bytes of the serialised form: round_up(count, 64) / 8.
  [[nodiscard]] size_t byte_size() const { return words_.size() * sizeof(uint64_t); }
  static size_t byte_size_for(uint64_t count);

  [[nodiscard]] bool test(uint64_t bit) const;
  void set(uint64_t bit);
  void reset(uint64_t bit);
  void fill(bool value);
  // Number of set bits among the first count() bits.
  [[nodiscard]] uint64_t popcount() const;
  // First clear bit at or after `from`, if any below count().
  [[nodiscard]] std::optional<uint64_t> next_clear(uint64_t from) const;

  // Little-endian serialisation; `out` must hold byte_size() bytes.
  void store(std::span<std::byte> out) const;
  // Reads count() bits from `in` (at least byte_size() bytes); bits past
  // count() in the last word are ignored (cleared), as the kernel does.
  void load(std::span<const std::byte> in);

  bool operator==(const RegionBitset&) const = default;

 private:
  void clear_tail();

  uint64_t count_;
  std::vector<uint64_t> words_;
};

}  // namespace bb::dirtylog
