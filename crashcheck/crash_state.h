// SPDX-License-Identifier: GPL-2.0-or-later
// Crash states beyond prefixes (opt-in). At a crash point P the disk may
// have lost writes that were not yet flushed. In a dm-log-writes log a
// plain write (no FUA) is durable only once a later FLUSH completes, so the
// writes that may be missing at P are
//
//   the unflushed set U(P): plain writes and discards after the last FLUSH
//   entry before P (the "epoch base" B), up to P (P itself when it is a
//   plain write; a FUA write at P is durable, a FLUSH at P is modelled as
//   not yet completed, so the writes it would flush are in U(P)).
//
// A variant of P is the prefix state at B plus the entries (B, P] in log
// order, except for a set of dropped writes from U(P), or with one
// multi-sector write of (B, P] torn: only its first k sectors land. States
// are enumerated (every subset of U(P) with 1..k writes dropped, or N
// random subsets with a seed, and tears at up to 7 sector boundaries of
// each multi-sector write) and identified by a hash of their content so
// identical states are checked once.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "format/log_index.h"
#include "format/log_source.h"

namespace bb::crashcheck {

struct TornWrite {
  uint64_t entry = 0;
  uint64_t sectors_landed = 0;  // a prefix of the write, in log sectors
  bool operator==(const TornWrite&) const = default;
};

// How a checked state differs from the prefix state of its point. Empty:
// the prefix state itself.
struct StateVariant {
  std::vector<uint64_t> dropped;  // entry numbers, ascending
  std::optional<TornWrite> torn;

  [[nodiscard]] bool is_prefix() const { return dropped.empty() && !torn; }
  std::string describe() const;  // "dropped 120, 121; torn 130 after 3 of 8 sectors"
  bool operator==(const StateVariant&) const = default;
};

struct Epoch {
  std::optional<uint64_t> base;  // last FLUSH entry before the point; none: the empty disk
  uint64_t point = 0;
  std::vector<uint64_t> entries;    // (base, point], log order
  std::vector<uint64_t> unflushed;  // U(point), log order
};

[[nodiscard]] Epoch epoch_of(const bb::logwrites::LogIndex& index, uint64_t point);

struct BeyondOptions {
  unsigned drop_up_to = 0;      // every subset with 1..k dropped writes
  unsigned random_subsets = 0;  // N random subsets (each write kept with p=1/2)
  uint64_t seed = 1;
  bool torn = false;
  unsigned max_states_per_point = 256;

  [[nodiscard]] bool enabled() const { return drop_up_to > 0 || random_subsets > 0 || torn; }
};

// The variants of one point (not including the prefix state), at most
// max_states_per_point; `capped` says whether more existed.
[[nodiscard]] std::vector<StateVariant> enumerate_variants(const Epoch& epoch,
                                                           const bb::logwrites::LogIndex& index,
                                                           const BeyondOptions& options,
                                                           bool* capped);

// Content hashes of states built from an epoch base, so that states that
// leave the same bytes on the disk are recognised. A state's hash covers
// its base and, for every sector written in (base, point], the hash of the
// bytes it ends with; the sectors are combined by a sum, in any order, so
// prefix states are hashed write by write as the replay passes them and a
// variant from its own map of sectors, and both agree. Reads entry data
// from the log.
class StateHasher {
 public:
  StateHasher(const bb::logwrites::LogSource& log, const bb::logwrites::LogIndex& index)
      : log_(log), index_(index) {}

  // A variant's hash (entry data cached per entry). nullopt when the state
  // is too big to hash (more than kMaxHashedSectors sectors written in the
  // epoch): such states are never skipped.
  [[nodiscard]] std::optional<uint64_t> hash(const Epoch& epoch, const StateVariant& variant);

  // The prefix state at `point`: the same hash as hash(epoch_of(point), {}),
  // kept up to date entry by entry, so a whole log costs one pass over its
  // data however many points it has. Points must come in ascending order.
  std::optional<uint64_t> prefix_hash(uint64_t point);

  static constexpr uint64_t kMaxHashedSectors = 1 << 20;

 private:
  [[nodiscard]] const std::vector<uint64_t>& sector_hashes(uint64_t entry);
  void advance_prefix(uint64_t entry);

  const bb::logwrites::LogSource& log_;
  const bb::logwrites::LogIndex& index_;
  uint64_t cached_sectors_ = 0;
  std::unordered_map<uint64_t, std::vector<uint64_t>> cache_;

  // The prefix state as far as prefix_hash() has come: the sectors the
  // current epoch wrote and what they hold, and the sum over them.
  struct Prefix {
    uint64_t next = 0;        // first entry not yet applied
    uint64_t base_key = 0;    // epoch base + 1; 0: no FLUSH yet
    bool flush_seen = false;  // the last applied entry was a FLUSH: a new epoch starts
    bool too_big = false;
    uint64_t sum = 0;
    std::unordered_map<uint64_t, uint64_t> content;  // sector -> content hash
  } prefix_;
};

// Builds a variant on a view that holds the state at the epoch base:
// applies the entries (base, point] except the dropped ones, the torn one
// cut short. Opens `path` (file or block device) itself as a
// bb::replay::ReplayTarget, which writes the entries; fsyncs at the end.
// Reads the log only through pread, so views are built on many threads at
// once. Throws ReplayError or LogError.
void apply_variant(const std::string& path, const bb::logwrites::LogSource& log,
                   const bb::logwrites::LogIndex& index, const Epoch& epoch,
                   const StateVariant& variant);

}  // namespace bb::crashcheck
