// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/crash_state.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "crashcheck/error.h"
#include "engine/replay_target.h"
#include "format/log_checksum.h"
#include "format/log_format.h"

namespace bb::crashcheck {
namespace lw = bb::logwrites;

namespace {

bool is_data_write(const lw::IndexedEntry& e) {
  return e.nr_sectors > 0 && (e.flags & (lw::kFlagDiscard | lw::kFlagMark)) == 0;
}

bool is_discard(const lw::IndexedEntry& e) {
  return (e.flags & lw::kFlagDiscard) != 0 && e.nr_sectors > 0;
}

// Sector counts at which a write of `n` sectors is torn: all of 1..n-1, or
// seven evenly spaced ones for long writes.
std::vector<uint64_t> tear_points(uint64_t n) {
  constexpr uint64_t kTears = 7;
  std::set<uint64_t> at;
  if (n - 1 <= kTears) {
    for (uint64_t k = 1; k < n; ++k) at.insert(k);
  } else {
    for (uint64_t i = 1; i <= kTears; ++i) at.insert(std::max<uint64_t>(1, i * n / (kTears + 1)));
  }
  return {at.begin(), at.end()};
}

// Calls visit(subset) for every k-subset of [0, n) in lexicographic order
// until it returns false.
template <typename Visit>
bool for_each_subset(size_t n, size_t k, Visit&& visit) {
  if (k == 0 || k > n) return true;
  std::vector<size_t> idx(k);
  for (size_t i = 0; i < k; ++i) idx[i] = i;
  for (;;) {
    if (!visit(idx)) return false;
    size_t i = k;
    while (i > 0 && idx[i - 1] == n - k + i - 1) --i;
    if (i == 0) return true;
    ++idx[i - 1];
    for (size_t j = i; j < k; ++j) idx[j] = idx[j - 1] + 1;
  }
}

}  // namespace

std::string StateVariant::describe() const {
  std::string s;
  if (!dropped.empty()) s = "dropped " + fmt::format("{}", fmt::join(dropped, ", "));
  if (torn) {
    s += fmt::format("{}torn {} after {} sectors", s.empty() ? "" : "; ", torn->entry,
                     torn->sectors_landed);
  }
  return s.empty() ? "prefix" : s;
}

Epoch epoch_of(const lw::LogIndex& index, uint64_t point) {
  Epoch epoch;
  epoch.point = point;
  for (uint64_t i = point; i-- > 0;) {
    if ((index.at(i).flags & lw::kFlagFlush) != 0) {
      epoch.base = i;
      break;
    }
  }
  uint64_t first = epoch.base ? *epoch.base + 1 : 0;
  for (uint64_t i = first; i <= point; ++i) {
    epoch.entries.push_back(i);
    const lw::IndexedEntry& e = index.at(i);
    bool durable = (e.flags & lw::kFlagFua) != 0;
    if ((is_data_write(e) && !durable) || is_discard(e)) epoch.unflushed.push_back(i);
  }
  return epoch;
}

std::vector<StateVariant> enumerate_variants(const Epoch& epoch, const lw::LogIndex& index,
                                             const BeyondOptions& options, bool* capped) {
  std::vector<StateVariant> out;
  std::set<std::vector<uint64_t>> seen_drops;
  *capped = false;
  auto add = [&](StateVariant v) {
    if (out.size() >= options.max_states_per_point) {
      *capped = true;
      return false;
    }
    if (v.torn || seen_drops.insert(v.dropped).second) out.push_back(std::move(v));
    return true;
  };
  const std::vector<uint64_t>& u = epoch.unflushed;
  for (size_t k = 1; k <= options.drop_up_to && k <= u.size(); ++k) {
    bool more = for_each_subset(u.size(), k, [&](const std::vector<size_t>& idx) {
      StateVariant v;
      for (size_t i : idx) v.dropped.push_back(u[i]);
      return add(std::move(v));
    });
    if (!more) return out;
  }
  if (options.random_subsets > 0 && !u.empty()) {
    std::mt19937_64 rng(options.seed ^ (epoch.point * 0x9e3779b97f4a7c15ULL));
    for (unsigned n = 0; n < options.random_subsets; ++n) {
      StateVariant v;
      for (uint64_t e : u) {
        if ((rng() & 1) != 0) v.dropped.push_back(e);
      }
      if (!v.dropped.empty() && !add(std::move(v))) return out;
    }
  }
  if (options.torn) {
    for (uint64_t e : epoch.entries) {
      const lw::IndexedEntry& ie = index.at(e);
      bool volatile_write = std::find(u.begin(), u.end(), e) != u.end();
      if (!is_data_write(ie) || ie.nr_sectors < 2 || (!volatile_write && e != epoch.point))
        continue;
      for (uint64_t k : tear_points(ie.nr_sectors)) {
        if (!add(StateVariant{{}, TornWrite{e, k}})) return out;
      }
    }
  }
  return out;
}

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// One sector's part of a state hash; the parts are added up.
uint64_t sector_term(uint64_t sector, uint64_t content) {
  return splitmix64(content ^ splitmix64(sector));
}

uint64_t base_term(uint64_t base_key) { return splitmix64(base_key ^ 0x5bd1e9955bd1e995ULL); }

uint64_t zero_sector_hash(uint32_t sectorsize) {
  std::vector<uint8_t> zero(sectorsize);
  return lw::lane_hash64(zero);
}

// The content hash of each sector of data entry `entry`.
std::vector<uint64_t> read_sector_hashes(const lw::LogSource& log, const lw::LogIndex& index,
                                         uint64_t entry) {
  const lw::IndexedEntry& e = index.at(entry);
  uint32_t ss = index.sectorsize();
  std::vector<uint8_t> data(e.nr_sectors * ss);
  log.read_exact(e.offset + ss, data);
  std::vector<uint64_t> hashes(e.nr_sectors);
  for (uint64_t s = 0; s < e.nr_sectors; ++s)
    hashes[s] = lw::lane_hash64(std::span<const uint8_t>(data).subspan(s * ss, ss));
  return hashes;
}

}  // namespace

const std::vector<uint64_t>& StateHasher::sector_hashes(uint64_t entry) {
  if (auto it = cache_.find(entry); it != cache_.end()) return it->second;
  if (cached_sectors_ > (8U << 20)) {  // bound the cache (64 MiB of hashes)
    cache_.clear();
    cached_sectors_ = 0;
  }
  cached_sectors_ += index_.at(entry).nr_sectors;
  return cache_.emplace(entry, read_sector_hashes(log_, index_, entry)).first->second;
}

std::optional<uint64_t> StateHasher::hash(const Epoch& epoch, const StateVariant& variant) {
  uint64_t written = 0;
  for (uint64_t e : epoch.entries) written += index_.at(e).nr_sectors;
  if (written > kMaxHashedSectors) return std::nullopt;
  uint64_t zero = zero_sector_hash(index_.sectorsize());
  std::unordered_map<uint64_t, uint64_t> final_content;
  for (uint64_t e : epoch.entries) {
    if (std::binary_search(variant.dropped.begin(), variant.dropped.end(), e)) continue;
    const lw::IndexedEntry& ie = index_.at(e);
    if (is_discard(ie)) {
      for (uint64_t s = 0; s < ie.nr_sectors; ++s) final_content[ie.sector + s] = zero;
    } else if (is_data_write(ie)) {
      uint64_t n =
          variant.torn && variant.torn->entry == e ? variant.torn->sectors_landed : ie.nr_sectors;
      const std::vector<uint64_t>& h = sector_hashes(e);
      for (uint64_t s = 0; s < n; ++s) final_content[ie.sector + s] = h[s];
    }
  }
  uint64_t h = base_term(epoch.base ? *epoch.base + 1 : 0);
  for (const auto& [sector, content] : final_content) h += sector_term(sector, content);
  return h;
}

void StateHasher::advance_prefix(uint64_t entry) {
  Prefix& p = prefix_;
  if (p.flush_seen) {  // entry - 1 was a FLUSH: the base of the points from here on
    p = Prefix{};
    p.base_key = entry;
  }
  const lw::IndexedEntry& ie = index_.at(entry);
  p.next = entry + 1;
  p.flush_seen = (ie.flags & lw::kFlagFlush) != 0;
  bool discard = is_discard(ie);
  if (p.too_big || (!discard && !is_data_write(ie))) return;
  if (p.content.size() + ie.nr_sectors > kMaxHashedSectors) {
    p.too_big = true;
    p.content.clear();
    return;
  }
  // Each entry is read once here: no cache.
  std::vector<uint64_t> data_hashes =
      discard ? std::vector<uint64_t>{} : read_sector_hashes(log_, index_, entry);
  uint64_t zero = discard ? zero_sector_hash(index_.sectorsize()) : 0;
  for (uint64_t s = 0; s < ie.nr_sectors; ++s) {
    uint64_t sector = ie.sector + s;
    uint64_t content = discard ? zero : data_hashes[s];
    auto [it, fresh] = p.content.emplace(sector, content);
    if (!fresh) {
      p.sum -= sector_term(sector, it->second);
      it->second = content;
    }
    p.sum += sector_term(sector, content);
  }
}

std::optional<uint64_t> StateHasher::prefix_hash(uint64_t point) {
  if (point + 1 < prefix_.next)
    throw CheckerError("prefix_hash: points must come in ascending order");
  // Entries before the last FLUSH ahead of the point do not count for it
  // (nor for later points): start the epoch there.
  for (uint64_t i = point; i > prefix_.next; --i) {
    if ((index_.at(i - 1).flags & lw::kFlagFlush) != 0) {
      prefix_ = Prefix{};
      prefix_.base_key = i;
      prefix_.next = i;
      break;
    }
  }
  while (prefix_.next <= point) advance_prefix(prefix_.next);
  if (prefix_.too_big) return std::nullopt;
  return base_term(prefix_.base_key) + prefix_.sum;
}

void apply_variant(const std::string& path, const lw::LogSource& log, const lw::LogIndex& index,
                   const Epoch& epoch, const StateVariant& variant) {
  bb::replay::ReplayTarget target(path);
  uint32_t ss = index.sectorsize();
  std::vector<uint8_t> data;
  for (uint64_t e : epoch.entries) {
    if (std::binary_search(variant.dropped.begin(), variant.dropped.end(), e)) continue;
    const lw::IndexedEntry& ie = index.at(e);
    data.clear();
    if (is_data_write(ie)) {
      uint64_t n =
          variant.torn && variant.torn->entry == e ? variant.torn->sectors_landed : ie.nr_sectors;
      data.resize(n * ss);
      log.read_exact(ie.offset + ss, data);
    } else if (!is_discard(ie)) {
      continue;
    }
    target.apply(e, ie, ss, data);
  }
  target.sync();
}

}  // namespace bb::crashcheck
