// SPDX-License-Identifier: GPL-2.0-or-later
// The crash-point checker: replays a log once, from entry 0, onto a replay
// target, and at every crash point takes a private copy-on-write view that
// a check runs on, on one of --jobs worker threads, while the replay goes
// on. Results come back in log order. Cost: O(log) replay plus, per point,
// a view and a check, instead of the O(points x log) of replaying from entry
// 0 for every point (xfstests generic/482).
//
//   bb::crashcheck::CheckerOptions o;
//   o.log = "log.img"; o.points = PointSelection::parse("fua");
//   auto check = make_profile_check("ext4", std::chrono::seconds(600));
//   o.check = check.get();
//   RunResult r = run_checks(o);   // r.results in log order, r.first_failure
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "crashcheck/check_profiles.h"
#include "crashcheck/crash_point.h"
#include "crashcheck/crash_state.h"
#include "crashcheck/image_diff.h"
#include "crashcheck/shard.h"
#include "crashcheck/view.h"

namespace bb::crashcheck {

enum class Verdict { kPass, kFail, kError };
[[nodiscard]] const char* verdict_name(Verdict v);

struct StateResult {
  uint64_t seq = 0;  // position in log order (points ascending, prefix state first)
  CrashPoint point;
  StateVariant variant;
  Verdict verdict = Verdict::kError;
  std::string output;
  double seconds = 0;  // building the view (variants), attaching it, checking
  // Set when the state leaves the same bytes on the disk as an earlier
  // checked state (the entry of that state's point): not checked again,
  // the verdict is that state's.
  std::optional<uint64_t> same_as;
};

struct FirstFailure {
  StateResult failing;
  std::optional<uint64_t>
      good_entry;          // last good prefix point; nullopt: the state before the first point
  std::string good_label;  // "entry 130 (FUA)" or "start (entry 12)"
  std::string good_image, fail_image;  // kept images ("" when not kept)
  ImageDiff diff;
};

struct RunSummary {
  uint64_t start_entry = 0;
  uint64_t end_entry = 0;
  uint64_t points = 0;
  uint64_t states = 0;  // checked (prefix and variants)
  uint64_t passed = 0, failed = 0, errors = 0;
  uint64_t duplicates_skipped = 0;  // states identical to an earlier one, not checked again
  uint64_t capped_points = 0;       // points with more variants than --max-states-per-point
  bool stopped_early = false;
  bool interrupted = false;   // CheckerOptions::interrupt was requested
  double replay_seconds = 0;  // time spent in the replay thread, views included
  double wall_seconds = 0;
  std::string view;
  std::string check;
  unsigned jobs = 0;
};

// What a report was made from, so that the shard reports of one run can be
// told from those of another: `bb-crashcheck merge` refuses a mix.
struct RunIdentity {
  std::string version;  // bb-crashcheck's
  std::string log;      // the log as named on the command line
  uint64_t log_entries = 0;
  // 16 hex digits hashing every byte of the log up to its last entry;
  // computed for a sharded run only (reading the whole log costs time).
  std::string log_digest;
  // Every option that can change which states are checked or a verdict,
  // canonical ("check=ext4 points=fua start=12 end=900 ...").
  std::string options;
  bool stop_at_first_failure = false;
  Shard shard;
  uint64_t points_total = 0;  // the points of all shards
};

struct RunResult {
  RunIdentity run;
  std::vector<StateResult> results;  // log order
  RunSummary summary;
  std::optional<FirstFailure> first_failure;
  std::vector<std::string> notes;  // e.g. "no mark 'mkfs': starting at entry 0"
};

// One log of a recording group (--group LOG=NAME).
struct GroupLog {
  std::string log;
  std::string name;  // the device's name in checks: {dev:NAME}, --xfs-logdev NAME
};

struct CheckerOptions {
  std::string log;
  // A recording group instead of `log` (run_group_checks(), group_check.h).
  std::vector<GroupLog> group;
  std::optional<std::string> target;   // image file or block device; default: a new image
  std::optional<uint64_t> image_size;  // for the new image; default: the end of the highest write
  std::optional<std::string>
      start_mark;  // first checked entry: this mark (default "mkfs" if present, else 0)
  std::optional<uint64_t> start_entry;
  std::optional<std::string> end_mark;  // last checked entry (default: the end of the log)
  std::optional<uint64_t> end_entry;
  PointSelection points;
  // Check only this shard's share of the points (see shard.h).
  std::optional<Shard> shard;
  std::optional<ViewKind> view;  // default: reflink if possible, else copy
  std::string workdir;           // parent of the work directory; default /dev/shm or /var/tmp
  unsigned jobs = 1;
  bool stop_at_first_failure = false;
  bool skip_duplicates = true;  // prefix states identical to an earlier state take its verdict
  BeyondOptions beyond;
  std::string keep_dir;  // where the first failure's images go; "" = keep none
  const Check* check = nullptr;
  bool verbose = false;
  std::function<void(const StateResult&)> on_result;  // log order, from any thread, serialised
  std::function<void(uint64_t done, uint64_t total)> on_progress;
  // When requested (e.g. on SIGINT): replay no further, start no new check,
  // drop the verdicts of checks still running (their processes may have
  // been killed by the same signal), keep no failure images, and clean up
  // as usual. The results then hold the states decided before it.
  std::stop_token interrupt;
};

// Throws LogError (log), ReplayError (replay target) or CheckerError (set-up).
[[nodiscard]] RunResult run_checks(const CheckerOptions& options);

// End of the highest range the log writes, rounded up to 1 MiB: the size a
// new replay image needs when the caller does not say.
[[nodiscard]] uint64_t highest_write_end(const bb::logwrites::LogIndex& index);

}  // namespace bb::crashcheck
