// SPDX-License-Identifier: GPL-2.0-or-later
// A recording group: the logs of several devices recorded by bb-log-writes
// with the feature group=<name>:<index>, put in their one global order
// (docs/log-format.md, "Groups").
//
//   LogGroup group({{"data", &data_index}, {"log", &log_index}});
//   auto mark = group.find_mark("quiesced-1");          // global position
//   auto counts = group.prefix(*mark);                  // entries per device
//   // replay entries [0, counts[d]) of device d onto its target
//
// The constructor refuses logs that are not one group: a log without a
// valid superblock tag, an entry without a valid tag or with another
// group's or device's tag, two logs of different groups or with the same
// device index, a sequence that does not increase within a log, or one
// sequence number in two logs. The tags do not say how many devices the
// group had: the caller must give them all.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "format/log_index.h"

namespace bb::logwrites {

class GroupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct GroupDevice {
  std::string name;  // for messages: the log's path
  const LogIndex* index = nullptr;
};

// One entry in the global order.
struct GroupEntry {
  uint64_t seq = 0;
  uint32_t device = 0;  // position in the constructor's list
  uint64_t entry = 0;   // entry number in that device's log

  bool operator==(const GroupEntry&) const = default;
};

class LogGroup {
 public:
  // Throws GroupError naming the log (and entry) that does not fit.
  explicit LogGroup(std::vector<GroupDevice> devices);

  [[nodiscard]] uint64_t group_id() const { return group_id_; }
  [[nodiscard]] size_t device_count() const { return devices_.size(); }
  [[nodiscard]] const GroupDevice& device(size_t d) const { return devices_.at(d); }
  // The device index each log's tags carry (its place in the group).
  [[nodiscard]] uint32_t device_index(size_t d) const { return indexes_.at(d); }

  // Every entry of every log, by increasing sequence number.
  [[nodiscard]] const std::vector<GroupEntry>& order() const { return order_; }
  [[nodiscard]] size_t size() const { return order_.size(); }

  // Entries per device (in the constructor's order) that the first
  // `position + 1` entries of the global order hold: replaying entries
  // [0, counts[d]) of every device d gives the group's state right after
  // global entry `position`.
  [[nodiscard]] std::vector<uint64_t> prefix(size_t position) const;
  // The last global position whose sequence number is <= seq.
  [[nodiscard]] std::optional<size_t> position_at_seq(uint64_t seq) const;
  // First global position >= from that is a MARK with this text (any device).
  [[nodiscard]] std::optional<size_t> find_mark(std::string_view text, size_t from = 0) const;
  // First global position >= from having any flag of `mask`.
  [[nodiscard]] std::optional<size_t> next_with_flags(uint64_t mask, size_t from) const;
  // Whether every log ends with the end mark (a clean teardown of every
  // device), and the sequence number up to which the group's order is
  // known to be whole: the last one if so; else the smallest last sequence
  // among the logs without an end mark (past it, such a log may have lost
  // entries that other logs' later entries depend on). 0: nothing.
  [[nodiscard]] bool complete() const { return complete_; }
  [[nodiscard]] uint64_t complete_through() const { return complete_through_; }

  [[nodiscard]] const IndexedEntry& entry(size_t position) const;
  [[nodiscard]] const std::string* mark_text(size_t position) const;

 private:
  std::vector<GroupDevice> devices_;
  std::vector<uint32_t> indexes_;
  uint64_t group_id_ = 0;
  std::vector<GroupEntry> order_;
  bool complete_ = true;
  uint64_t complete_through_ = 0;
};

}  // namespace bb::logwrites
