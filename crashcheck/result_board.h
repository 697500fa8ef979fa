// SPDX-License-Identifier: GPL-2.0-or-later
// The checked states' results, collected from the workers and handed out
// in log order.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "crashcheck/checker.h"

namespace bb::crashcheck {

// Collects results from the workers and hands them out in log order. With
// stop_at_first_failure, states after the earliest failure are dropped
// (those before it still run: one of them may fail too).
class ResultBoard {
 public:
  ResultBoard(bool stop_at_first_failure, const CheckerOptions& o)
      : stop_(stop_at_first_failure), o_(o) {}

  [[nodiscard]] uint64_t reserve(const CrashPoint& point, const StateVariant& variant) {
    std::lock_guard lock(mu_);
    uint64_t seq = slots_.size();
    slots_.push_back({});
    slots_.back().result.seq = seq;
    slots_.back().result.point = point;
    slots_.back().result.variant = variant;
    return seq;
  }

  // True if the state need not be checked any more.
  [[nodiscard]] bool cancelled(uint64_t seq) const {
    if (o_.interrupt.stop_requested()) return true;
    std::lock_guard lock(mu_);
    return stop_ && first_fail_ && seq > *first_fail_;
  }
  [[nodiscard]] bool stop_requested() const {
    if (o_.interrupt.stop_requested()) return true;
    std::lock_guard lock(mu_);
    return stop_ && first_fail_.has_value();
  }
  [[nodiscard]] bool cancelled_any() const {
    std::lock_guard lock(mu_);
    return cancelled_any_;
  }

  void finish(uint64_t seq, Verdict verdict, std::string output, double seconds) {
    std::lock_guard lock(mu_);
    Slot& slot = slots_.at(seq);
    slot.done = true;
    slot.checked = true;
    slot.result.verdict = verdict;
    slot.result.output = std::move(output);
    slot.result.seconds = seconds;
    if (verdict != Verdict::kPass && (!first_fail_ || seq < *first_fail_)) first_fail_ = seq;
    settle_followers(seq);
    emit_ready();
  }
  void skip(uint64_t seq) {
    std::lock_guard lock(mu_);
    slots_.at(seq).done = true;
    cancelled_any_ = true;
    settle_followers(seq);
    emit_ready();
  }

  // State `seq` leaves the same bytes on the disk as the earlier state
  // `original`: it is not checked and gets its verdict when that is known.
  void same_as(uint64_t seq, uint64_t original) {
    std::lock_guard lock(mu_);
    slots_.at(seq).result.same_as = slots_.at(original).result.point.entry;
    if (slots_.at(original).done) {
      copy_verdict(slots_.at(seq), slots_.at(original));
      emit_ready();
    } else {
      followers_[original].push_back(seq);
    }
  }

  [[nodiscard]] std::vector<StateResult> results() const {
    std::lock_guard lock(mu_);
    std::vector<StateResult> out;
    for (const Slot& s : slots_) {
      if (s.checked && !(stop_ && first_fail_ && s.result.seq > *first_fail_))
        out.push_back(s.result);
    }
    return out;
  }
  [[nodiscard]] uint64_t done() const {
    std::lock_guard lock(mu_);
    return emitted_;
  }
  [[nodiscard]] uint64_t reserved() const {
    std::lock_guard lock(mu_);
    return slots_.size();
  }

 private:
  struct Slot {
    StateResult result;
    bool done = false;
    bool checked = false;
  };

  static void copy_verdict(Slot& to, const Slot& from) {
    to.done = true;
    to.checked = from.checked;  // a cancelled state's duplicates are cancelled too
    to.result.verdict = from.result.verdict;
    const StateResult& r = from.result;
    to.result.output = fmt::format("same state as entry {}{}: not checked again\n", r.point.entry,
                                   r.variant.is_prefix() ? "" : " (" + r.variant.describe() + ")");
  }

  void settle_followers(uint64_t seq) {
    auto it = followers_.find(seq);
    if (it == followers_.end()) return;
    for (uint64_t f : it->second) copy_verdict(slots_.at(f), slots_.at(seq));
    followers_.erase(it);
  }

  void emit_ready() {
    while (emitted_ < slots_.size() && slots_[emitted_].done) {
      const Slot& s = slots_[emitted_++];
      bool after_stop = stop_ && first_fail_ && s.result.seq > *first_fail_;
      if (s.checked && !after_stop && o_.on_result) o_.on_result(s.result);
    }
  }

  mutable std::mutex mu_;
  bool stop_;
  const CheckerOptions& o_;
  std::deque<Slot> slots_;
  uint64_t emitted_ = 0;
  std::optional<uint64_t> first_fail_;
  bool cancelled_any_ = false;
  std::map<uint64_t, std::vector<uint64_t>>
      followers_;  // seq -> duplicates waiting for its verdict
};

}  // namespace bb::crashcheck
