// SPDX-License-Identifier: GPL-2.0-or-later
#include "region_bitset.h"

#include <bit>

#include "error.h"

namespace bb::dirtylog {

namespace {
constexpr uint64_t kWordBits = 64;
}

RegionBitset::RegionBitset(uint64_t count, bool value)
    : count_(count), words_((count + kWordBits - 1) / kWordBits, value ? ~uint64_t{0} : 0) {
  clear_tail();
}

size_t RegionBitset::byte_size_for(uint64_t count) {
  return static_cast<size_t>((count + kWordBits - 1) / kWordBits * sizeof(uint64_t));
}

bool RegionBitset::test(uint64_t bit) const {
  return ((words_.at(bit / kWordBits) >> (bit % kWordBits)) & 1U) != 0;
}

void RegionBitset::set(uint64_t bit) {
  words_.at(bit / kWordBits) |= uint64_t{1} << (bit % kWordBits);
}

void RegionBitset::reset(uint64_t bit) {
  words_.at(bit / kWordBits) &= ~(uint64_t{1} << (bit % kWordBits));
}

void RegionBitset::fill(bool value) {
  for (auto& word : words_) word = value ? ~uint64_t{0} : 0;
  clear_tail();
}

uint64_t RegionBitset::popcount() const {
  uint64_t total = 0;
  for (const auto word : words_) total += static_cast<uint64_t>(std::popcount(word));
  return total;
}

std::optional<uint64_t> RegionBitset::next_clear(uint64_t from) const {
  for (uint64_t index = from / kWordBits; index < words_.size(); ++index) {
    uint64_t inverted = ~words_[index];
    if (index == from / kWordBits) inverted &= ~uint64_t{0} << (from % kWordBits);
    if (inverted == 0) continue;
    const uint64_t bit = index * kWordBits + static_cast<uint64_t>(std::countr_zero(inverted));
    if (bit >= count_) return std::nullopt;
    return bit;
  }
  return std::nullopt;
}

void RegionBitset::store(std::span<std::byte> out) const {
  if (out.size() < byte_size()) throw Error(EINVAL, "bitset buffer too small");
  for (size_t i = 0; i < byte_size(); ++i) {
    out[i] = static_cast<std::byte>((words_[i / 8] >> (8 * (i % 8))) & 0xFFU);
  }
}

void RegionBitset::load(std::span<const std::byte> in) {
  if (in.size() < byte_size()) throw Error(EINVAL, "bitset buffer too small");
  for (auto& word : words_) word = 0;
  for (size_t i = 0; i < byte_size(); ++i) {
    words_[i / 8] |= std::to_integer<uint64_t>(in[i]) << (8 * (i % 8));
  }
  clear_tail();
}

// Bits past count() belong to no region; the kernel clears them at resume
// ("device has shrunk"), so they never count towards the sync count.
void RegionBitset::clear_tail() {
  if (count_ % kWordBits == 0 || words_.empty()) return;
  words_.back() &= (uint64_t{1} << (count_ % kWordBits)) - 1;
}

}  // namespace bb::dirtylog
