// SPDX-License-Identifier: GPL-2.0-or-later
// The replica of one clustered log that every member of its CPG group
// keeps and changes only by applying the group's messages in their agreed
// order, so every valid member holds the same replica at the same point of
// the stream. Pure: no I/O, no clock, no randomness.
//
// Beyond the kernel's core log (clean bits, sync bits, sync count) it
// keeps, as LVM's cmirrord does:
//   * per-member marks {member, region}: a region is clean only when no
//     member has it marked (and it is in sync);
//   * recoverers {member, region}: each region is recovered by at most one
//     member of the cluster at a time;
//   * pending flushes {member, seq}: FLUSHes delivered and not yet
//     answered by the server's FLUSH_DONE.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "cluster/cluster_wire.h"
#include "dirty_log.h"
#include "region_bitset.h"
#include "table_params.h"

namespace bb::dirtylog::cluster {

class Replica {
 public:
  // A fresh log: every region clean; in sync only with nosync.
  Replica(region_t count, SyncMode mode);
  // From the clean bits of a disk log just read: sync = clean.
  explicit Replica(const RegionBitset& clean);
  // Throws Error(EINVAL) when the checkpoint is inconsistent.
  explicit Replica(const Checkpoint& cp);

  [[nodiscard]] region_t count() const { return sync_.count(); }
  [[nodiscard]] region_t sync_count() const { return sync_count_; }
  // These throw Error(EINVAL) for a region out of range; so do the changes.
  [[nodiscard]] bool is_clean(region_t region) const;
  [[nodiscard]] bool in_sync(region_t region) const;
  [[nodiscard]] const RegionBitset& clean_bits() const { return clean_; }
  [[nodiscard]] const RegionBitset& sync_bits() const { return sync_; }

  void mark(const Member& member, region_t region);
  void clear(const Member& member, region_t region);
  // The first region asked about by IS_REMOTE_RECOVERING that is still out
  // of sync and nobody recovers, else the lowest such region; now `member`'s.
  [[nodiscard]] std::optional<region_t> resync_work(const Member& member);
  void set_sync(const Member& member, region_t region, bool in_sync);
  // Out of sync and recovered by someone other than `member`, or by
  // nobody; then the region goes to the front of the resync work
  // (priority), so the write waiting for it waits less.
  [[nodiscard]] bool remote_recovering(const Member& member, region_t region);

  void add_pending_flush(const Member& member, uint32_t seq);
  // False when it was not pending (e.g. a second FLUSH_DONE).
  bool remove_pending_flush(const Member& member, uint32_t seq);
  [[nodiscard]] const std::set<PendingFlush>& pending_flushes() const { return pending_; }

  struct Departure {
    std::vector<region_t> out_of_sync;  // the regions it had marked
    std::vector<region_t> freed;        // the regions it was recovering
    size_t flushes_dropped = 0;
  };
  // A member left or crashed: its marked regions become out of sync (its
  // writes may have reached one leg only), its marks and its recoveries
  // are dropped, its pending flushes forgotten.
  Departure depart(const Member& member);

  // Out of sync and not clean (e.g. dirty in a disk log read back).
  void make_dirty(region_t region);
  // Every member with a mark, a recovery or a pending flush.
  [[nodiscard]] std::set<Member> members() const;

  [[nodiscard]] size_t mark_count() const { return marks_.size(); }
  [[nodiscard]] std::vector<RegionOwner> marks() const;
  // valid and skip_events are the caller's.
  [[nodiscard]] Checkpoint snapshot() const;

  bool operator==(const Replica&) const = default;

 private:
  void check(region_t region) const;
  [[nodiscard]] bool marked_by_anyone(region_t region) const;

  RegionBitset clean_;
  RegionBitset sync_;
  region_t sync_count_ = 0;
  std::set<std::pair<region_t, Member>> marks_;
  std::map<region_t, Member> recovering_;
  std::set<PendingFlush> pending_;
  std::vector<region_t> priority_;
};

}  // namespace bb::dirtylog::cluster
