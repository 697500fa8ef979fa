// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/checker.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "common/file_info.h"
#include "common/system_error.h"
#include "crashcheck/check_pipeline.h"
#include "crashcheck/error.h"
#include "crashcheck/view_file.h"
#include "crashcheck/view_setup.h"
#include "engine/replay_engine.h"
#include "format/log_checksum.h"
#include "format/log_format.h"

namespace bb::crashcheck {
namespace lw = bb::logwrites;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* view_kind_name(ViewKind kind) {
  switch (kind) {
    case ViewKind::kReflink:
      return "reflink";
    case ViewKind::kCopy:
      return "copy";
    case ViewKind::kDmSnapshot:
      return "dm-snapshot";
  }
  return "?";
}

// 16 hex digits: every byte of the log up to the end of its last entry,
// in 8 MiB pieces.
std::string log_digest(const replay::LogSession& s) {
  lw::Fnv64 sum;
  sum.add_u64(s.entry_count());
  const uint64_t end = s.entry_count() == 0 ? 0 : s.index().end_offset(s.entry_count() - 1);
  std::vector<uint8_t> buf(std::min<uint64_t>(end, 8U << 20));
  for (uint64_t off = 0; off < end; off += buf.size()) {
    const std::span<uint8_t> piece(buf.data(), std::min<uint64_t>(buf.size(), end - off));
    s.source().read_exact(off, piece);
    sum.add_u64(lw::lane_hash64(piece));
  }
  return fmt::format("{:016x}", sum.value());
}

uint64_t highest_write_end(const lw::LogIndex& index) {
  uint64_t end = 0;
  for (const lw::IndexedEntry& e : index.entries())
    end = std::max(end, (e.sector + e.nr_sectors) * index.sectorsize());
  return (end + (1U << 20) - 1) & ~uint64_t((1U << 20) - 1);
}

namespace {

uint64_t resolve_start(const CheckerOptions& o, const replay::LogSession& s,
                       std::vector<std::string>& notes) {
  if (o.start_entry) return *o.start_entry;
  std::string mark = o.start_mark.value_or("mkfs");
  if (auto e = s.find_mark(mark)) return *e;
  if (o.start_mark) throw CheckerError("no mark '" + mark + "' in the log");
  notes.emplace_back("no mark 'mkfs' in the log: checking from entry 0");
  return 0;
}

uint64_t resolve_end(const CheckerOptions& o, const replay::LogSession& s) {
  if (o.end_entry) return *o.end_entry;
  if (o.end_mark) {
    if (auto e = s.find_mark(*o.end_mark)) return *e;
    throw CheckerError("no mark '" + *o.end_mark + "' in the log");
  }
  if (s.entry_count() == 0) return 0;
  return s.entry_count() - 1;
}

// A --target must be an image file (created if missing) or a block device.
void check_target(const std::string& target) {
  struct stat st {};
  if (stat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    bb::common::throw_errno("--target " + target);
  }
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    throw CheckerError("--target " + target + ": not an image file or a block device");
  }
}

// Replays [0, last] onto a new sparse image `path` of `size` bytes.
void build_prefix_image(const replay::LogSession& s, const std::string& path, uint64_t size,
                        std::optional<uint64_t> last) {
  std::error_code ec;
  fs::remove(path, ec);
  create_image(path, size);
  if (!last) return;
  replay::ReplayTarget target(path);
  s.replay(target, 0, *last, {});
  target.sync();
}

std::string options_text(const CheckerOptions& o, uint64_t start, uint64_t end) {
  const BeyondOptions& b = o.beyond;
  return fmt::format(
      "check={} points={} start={} end={} drop={} random-subsets={} seed={} torn={} "
      "max-states-per-point={} duplicates={} stop-at-first-failure={}",
      o.check->identity(), o.points.describe(), start, end, b.drop_up_to, b.random_subsets, b.seed,
      b.torn, b.max_states_per_point, o.skip_duplicates ? "skip" : "check",
      o.stop_at_first_failure);
}

// The state a first failure is compared with when no prefix point before
// it passed in this run: the point before a shard's first, or the start.
struct GoodFallback {
  std::optional<uint64_t> entry;  // nullopt: the empty disk
  std::string label;
};

// Keeps the crash images (before any recovery) of the first failing state
// and of the last good prefix point before it, and diffs them.
FirstFailure keep_evidence(const CheckerOptions& o, const replay::LogSession& s,
                           const std::vector<StateResult>& results, const StateResult& fail,
                           uint64_t image_size, const GoodFallback& fallback) {
  FirstFailure ff;
  ff.failing = fail;
  for (const StateResult& r : results) {
    if (r.seq >= fail.seq) break;
    if (r.variant.is_prefix() && r.verdict == Verdict::kPass) ff.good_entry = r.point.entry;
  }
  if (ff.good_entry) {
    auto it = std::find_if(results.begin(), results.end(), [&](const StateResult& r) {
      return r.point.entry == *ff.good_entry && r.variant.is_prefix();
    });
    ff.good_label = fmt::format("entry {} ({})", *ff.good_entry, it->point.kind());
  } else {
    ff.good_entry = fallback.entry;
    ff.good_label = fallback.label;
  }
  if (o.keep_dir.empty()) return ff;
  fs::create_directories(o.keep_dir);
  ff.good_image = fmt::format("{}/good-{}.img", o.keep_dir,
                              ff.good_entry ? fmt::format("{}", *ff.good_entry) : "empty");
  ff.fail_image = fmt::format("{}/fail-{}{}.img", o.keep_dir, fail.point.entry,
                              fail.variant.is_prefix() ? "" : fmt::format("-state{}", fail.seq));
  build_prefix_image(s, ff.good_image, image_size, ff.good_entry);
  Epoch epoch = epoch_of(s.index(), fail.point.entry);
  if (fail.variant.is_prefix()) {
    build_prefix_image(s, ff.fail_image, image_size, fail.point.entry);
  } else {
    build_prefix_image(s, ff.fail_image, image_size, epoch.base);
    apply_variant(ff.fail_image, s.source(), s.index(), epoch, fail.variant);
  }
  uint64_t from = ff.good_entry ? *ff.good_entry + 1 : 0;
  // A variant also differs in the epoch's writes it dropped or tore.
  if (!fail.variant.is_prefix()) from = std::min<uint64_t>(from, epoch.base ? *epoch.base + 1 : 0);
  std::vector<uint64_t> candidates;
  for (uint64_t e = from; e <= fail.point.entry; ++e) candidates.push_back(e);
  ff.diff = diff_images(ff.good_image, ff.fail_image, s.index(), candidates);
  return ff;
}

}  // namespace

RunResult run_checks(const CheckerOptions& o) {
  if (o.check == nullptr) throw CheckerError("no check given");
  auto t0 = Clock::now();
  RunResult result;
  replay::LogSession session(o.log);
  const lw::LogIndex& index = session.index();
  if (index.tail_error()) {
    result.notes.push_back(
        fmt::format("the log has a bad entry: checking the {} entries before it ({})", index.size(),
                    index.tail_error()->error().what()));
  }
  uint64_t start = resolve_start(o, session, result.notes);
  uint64_t end = resolve_end(o, session);
  if (index.size() > 0 && start >= index.size()) {
    throw CheckerError(fmt::format("the first point, entry {}, is past the log's last entry, {}",
                                   start, index.size() - 1));
  }
  if (start > end) {
    bool from_mkfs = !o.start_entry && !o.start_mark && start > 0;
    throw CheckerError(fmt::format(
        "the first point, entry {}, is after the last, entry {}{}", start, end,
        from_mkfs
            ? " (checking starts at the 'mkfs' mark unless --start-entry or --start-mark says)"
            : ""));
  }
  std::vector<CrashPoint> points = select_points(index, start, end, o.points);
  if (points.empty()) {
    result.notes.push_back(
        fmt::format("no crash point of the kinds asked for in entries {}..{}", start, end));
  }
  RunIdentity& run = result.run;
  run.version = BB_VERSION;
  run.log = o.log;
  run.log_entries = index.size();
  run.options = options_text(o, start, end);
  run.stop_at_first_failure = o.stop_at_first_failure;
  run.points_total = points.size();
  GoodFallback fallback{start > 0 ? std::optional<uint64_t>(start - 1) : std::nullopt, ""};
  fallback.label =
      fallback.entry ? fmt::format("the start (entry {})", *fallback.entry) : "the empty disk";
  if (o.shard) {
    run.shard = *o.shard;
    run.log_digest = log_digest(session);
    const auto [first, last] = o.shard->range(points.size());
    if (first > 0) {
      const CrashPoint& before = points[first - 1];
      fallback = {before.entry, fmt::format("entry {} ({})", before.entry, before.kind())};
    }
    points = std::vector<CrashPoint>(points.begin() + static_cast<ptrdiff_t>(first),
                                     points.begin() + static_cast<ptrdiff_t>(last));
  }
  if (o.target) check_target(*o.target);
  uint64_t image_size = o.image_size.value_or(highest_write_end(index));
  if (o.target && bb::common::is_block_device(*o.target)) image_size = 0;

  ViewSetup views = make_views(o, image_size, result.notes);
  RunSummary& sum = result.summary;
  sum.start_entry = start;
  sum.end_entry = end;
  sum.points = points.size();
  sum.view = view_kind_name(views.factory->kind());
  sum.check = o.check->name();
  sum.jobs = std::max(1U, o.jobs);
  result.results = check_states(o, session, *views.factory, views.work->path(), points, sum);
  for (const StateResult& r : result.results) {
    if (r.same_as) continue;  // not checked: counted in duplicates_skipped
    ++sum.states;
    if (r.verdict == Verdict::kPass) ++sum.passed;
    if (r.verdict == Verdict::kFail) ++sum.failed;
    if (r.verdict == Verdict::kError) ++sum.errors;
  }
  auto fail = std::find_if(result.results.begin(), result.results.end(),
                           [](const StateResult& r) { return r.verdict != Verdict::kPass; });
  views.reset();  // unmount the scratch before building kept images elsewhere
  if (fail != result.results.end() && sum.interrupted) {
    result.notes.emplace_back("interrupted: no failure images kept");
  } else if (fail != result.results.end()) {
    uint64_t size = image_size != 0 ? image_size : highest_write_end(index);
    result.first_failure = keep_evidence(o, session, result.results, *fail, size, fallback);
  }
  sum.wall_seconds = seconds_since(t0);
  return result;
}

}  // namespace bb::crashcheck
