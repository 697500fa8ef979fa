// SPDX-License-Identifier: GPL-2.0-or-later
#include "cluster/cluster_state.h"

#include <algorithm>

#include <fmt/core.h>

#include "error.h"

namespace bb::dirtylog::cluster {

Replica::Replica(region_t count, SyncMode mode)
    : clean_(count, true),
      sync_(count, mode == SyncMode::kNoSync),
      sync_count_(mode == SyncMode::kNoSync ? count : 0) {}

Replica::Replica(const RegionBitset& clean)
    : clean_(clean), sync_(clean), sync_count_(clean.popcount()) {}

Replica::Replica(const Checkpoint& cp)
    : clean_(cp.clean_bits), sync_(cp.sync_bits), sync_count_(cp.sync_bits.popcount()) {
  if (cp.sync_bits.count() != cp.region_count || cp.clean_bits.count() != cp.region_count ||
      cp.sync_count != sync_count_) {
    throw Error(EINVAL, "inconsistent checkpoint: bitmap sizes or sync count disagree");
  }
  for (const auto& owner : cp.marks) {
    check(owner.region);
    marks_.emplace(owner.region, owner.member);
  }
  for (const auto& owner : cp.recovering) {
    check(owner.region);
    if (!recovering_.emplace(owner.region, owner.member).second)
      throw Error(EINVAL, fmt::format("checkpoint: region {} recovered twice", owner.region));
  }
  pending_.insert(cp.pending.begin(), cp.pending.end());
  for (const auto region : cp.priority) check(region);
  priority_ = cp.priority;
}

void Replica::check(region_t region) const {
  if (region >= count()) {
    throw Error(EINVAL,
                fmt::format("region {} out of range (the log has {} regions)", region, count()));
  }
}

bool Replica::is_clean(region_t region) const {
  check(region);
  return clean_.test(region);
}

bool Replica::in_sync(region_t region) const {
  check(region);
  return sync_.test(region);
}

bool Replica::marked_by_anyone(region_t region) const {
  const auto it = marks_.lower_bound({region, Member{}});
  return it != marks_.end() && it->first == region;
}

void Replica::mark(const Member& member, region_t region) {
  check(region);
  marks_.emplace(region, member);
  clean_.reset(region);
}

// Clean only when nobody else still writes there and the legs agree; an
// out-of-sync region turns clean when its recovery ends (set_sync).
void Replica::clear(const Member& member, region_t region) {
  check(region);
  marks_.erase({region, member});
  if (!marked_by_anyone(region) && sync_.test(region)) clean_.set(region);
}

std::optional<region_t> Replica::resync_work(const Member& member) {
  while (!priority_.empty()) {
    const region_t region = priority_.front();
    priority_.erase(priority_.begin());
    if (!sync_.test(region) && !recovering_.contains(region)) {
      recovering_.emplace(region, member);
      return region;
    }
  }
  for (auto from = region_t{0}; from < count();) {
    const auto region = sync_.next_clear(from);
    if (!region) return std::nullopt;
    if (!recovering_.contains(*region)) {
      recovering_.emplace(*region, member);
      return region;
    }
    from = *region + 1;
  }
  return std::nullopt;
}

void Replica::set_sync(const Member& member, region_t region, bool in_sync) {
  check(region);
  const auto it = recovering_.find(region);
  if (it != recovering_.end() && it->second == member) recovering_.erase(it);
  if (in_sync && !sync_.test(region)) {
    sync_.set(region);
    ++sync_count_;
    if (!marked_by_anyone(region)) clean_.set(region);
  } else if (!in_sync && sync_.test(region)) {
    sync_.reset(region);
    --sync_count_;
  }
}

bool Replica::remote_recovering(const Member& member, region_t region) {
  check(region);
  if (sync_.test(region)) return false;
  const auto it = recovering_.find(region);
  if (it != recovering_.end()) return it->second != member;
  if (std::find(priority_.begin(), priority_.end(), region) == priority_.end())
    priority_.push_back(region);
  return true;
}

void Replica::add_pending_flush(const Member& member, uint32_t seq) {
  pending_.insert({member, seq});
}

bool Replica::remove_pending_flush(const Member& member, uint32_t seq) {
  return pending_.erase({member, seq}) != 0;
}

Replica::Departure Replica::depart(const Member& member) {
  Departure departure;
  for (auto it = marks_.begin(); it != marks_.end();) {
    if (it->second != member) {
      ++it;
      continue;
    }
    const region_t region = it->first;
    it = marks_.erase(it);
    departure.out_of_sync.push_back(region);
    clean_.reset(region);
    if (sync_.test(region)) {
      sync_.reset(region);
      --sync_count_;
    }
  }
  for (auto it = recovering_.begin(); it != recovering_.end();) {
    if (it->second == member) {
      departure.freed.push_back(it->first);
      it = recovering_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->member == member) {
      it = pending_.erase(it);
      ++departure.flushes_dropped;
    } else {
      ++it;
    }
  }
  return departure;
}

void Replica::make_dirty(region_t region) {
  check(region);
  clean_.reset(region);
  if (sync_.test(region)) {
    sync_.reset(region);
    --sync_count_;
  }
}

std::set<Member> Replica::members() const {
  std::set<Member> members;
  for (const auto& [region, member] : marks_) members.insert(member);
  for (const auto& [region, member] : recovering_) members.insert(member);
  for (const auto& flush : pending_) members.insert(flush.member);
  return members;
}

std::vector<RegionOwner> Replica::marks() const {
  std::vector<RegionOwner> owners;
  owners.reserve(marks_.size());
  for (const auto& [region, member] : marks_) owners.push_back({member, region});
  return owners;
}

Checkpoint Replica::snapshot() const {
  Checkpoint cp;
  cp.region_count = count();
  cp.sync_count = sync_count_;
  cp.sync_bits = sync_;
  cp.clean_bits = clean_;
  cp.marks = marks();
  for (const auto& [region, member] : recovering_) cp.recovering.push_back({member, region});
  cp.pending.assign(pending_.begin(), pending_.end());
  cp.priority = priority_;
  return cp;
}

}  // namespace bb::dirtylog::cluster
