// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_group.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace bb::logwrites {

LogGroup::LogGroup(std::vector<GroupDevice> devices) : devices_(std::move(devices)) {
  if (devices_.empty()) throw GroupError("a group needs at least one log");
  for (size_t d = 0; d < devices_.size(); ++d) {
    const GroupDevice& dev = devices_[d];
    const LogIndex& idx = *dev.index;
    if (!idx.group_super()) {
      throw GroupError(fmt::format("{}: not a group log: its superblock has no {}group tag",
                                   dev.name, idx.group_super_bad() ? "valid " : ""));
    }
    if (const auto& p = idx.group_problem()) {
      throw GroupError(
          fmt::format("{}: entry {} is not a group entry: {}", dev.name, p->entry, p->detail));
    }
    uint64_t id = idx.group_super()->group_id;
    uint32_t index = idx.group_super()->index;
    if (d == 0) {
      group_id_ = id;
    } else if (id != group_id_) {
      throw GroupError(fmt::format("{} is of group {:016x}, {} of group {:016x}: not one group",
                                   dev.name, id, devices_[0].name, group_id_));
    }
    for (size_t o = 0; o < d; ++o) {
      if (indexes_[o] == index) {
        throw GroupError(fmt::format("{} and {} are both device {} of group {:016x}",
                                     devices_[o].name, dev.name, index, id));
      }
    }
    indexes_.push_back(index);
    uint64_t last = 0;
    for (uint64_t i = 0; i < idx.size(); ++i) {
      uint64_t seq = idx.group_seq(i);
      if (seq <= last) {
        throw GroupError(
            fmt::format("{}: entry {} has group sequence {}, not above entry {}'s {}: out of order",
                        dev.name, i, seq, i - 1, last));
      }
      last = seq;
      order_.push_back(GroupEntry{seq, static_cast<uint32_t>(d), i});
    }
  }
  uint64_t unfinished = std::numeric_limits<uint64_t>::max();
  for (const GroupDevice& dev : devices_) {
    const LogIndex& idx = *dev.index;
    uint64_t n = idx.size();
    const std::string* last_mark = n > 0 ? idx.mark_text(n - 1) : nullptr;
    if (last_mark == nullptr || *last_mark != kEndMark || idx.tail_error()) {
      complete_ = false;
      unfinished = std::min(unfinished, n > 0 ? idx.group_seq(n - 1) : 0);
    }
  }
  std::sort(order_.begin(), order_.end(),
            [](const GroupEntry& a, const GroupEntry& b) { return a.seq < b.seq; });
  for (size_t k = 1; k < order_.size(); ++k) {
    if (order_[k].seq == order_[k - 1].seq) {
      const GroupEntry& a = order_[k - 1];
      const GroupEntry& b = order_[k];
      throw GroupError(fmt::format("group sequence {} is in {} (entry {}) and in {} (entry {})",
                                   b.seq, devices_[a.device].name, a.entry, devices_[b.device].name,
                                   b.entry));
    }
  }
  uint64_t last = order_.empty() ? 0 : order_.back().seq;
  complete_through_ = complete_ ? last : std::min(unfinished, last);
}

std::vector<uint64_t> LogGroup::prefix(size_t position) const {
  std::vector<uint64_t> counts(devices_.size(), 0);
  if (position >= order_.size()) throw std::out_of_range("group position past the end");
  uint64_t seq = order_[position].seq;
  for (size_t d = 0; d < devices_.size(); ++d) {
    auto seqs = devices_[d].index->group_seqs();
    counts[d] =
        static_cast<uint64_t>(std::upper_bound(seqs.begin(), seqs.end(), seq) - seqs.begin());
  }
  return counts;
}

std::optional<size_t> LogGroup::position_at_seq(uint64_t seq) const {
  auto it = std::upper_bound(order_.begin(), order_.end(), seq,
                             [](uint64_t s, const GroupEntry& e) { return s < e.seq; });
  if (it == order_.begin()) return std::nullopt;
  return static_cast<size_t>(it - order_.begin()) - 1;
}

const IndexedEntry& LogGroup::entry(size_t position) const {
  const GroupEntry& g = order_.at(position);
  return devices_[g.device].index->at(g.entry);
}

const std::string* LogGroup::mark_text(size_t position) const {
  const GroupEntry& g = order_.at(position);
  return devices_[g.device].index->mark_text(g.entry);
}

std::optional<size_t> LogGroup::find_mark(std::string_view text, size_t from) const {
  if (from >= order_.size()) return std::nullopt;
  std::optional<size_t> best;
  for (const GroupDevice& dev : devices_) {
    const LogIndex& idx = *dev.index;
    // This device's first entry at or after global position `from`.
    auto seqs = idx.group_seqs();
    auto start = static_cast<uint64_t>(
        std::lower_bound(seqs.begin(), seqs.end(), order_[from].seq) - seqs.begin());
    auto m = idx.find_mark(text, start);
    if (!m) continue;
    auto pos = position_at_seq(idx.group_seq(*m));
    if (pos && (!best || *pos < *best)) best = pos;
  }
  return best;
}

std::optional<size_t> LogGroup::next_with_flags(uint64_t mask, size_t from) const {
  for (size_t k = from; k < order_.size(); ++k) {
    if ((entry(k).flags & mask) != 0) return k;
  }
  return std::nullopt;
}

}  // namespace bb::logwrites
