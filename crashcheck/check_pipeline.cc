// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/check_pipeline.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "crashcheck/fs_superblock.h"
#include "crashcheck/job_queue.h"
#include "crashcheck/loop_device.h"
#include "crashcheck/result_board.h"

namespace bb::crashcheck {
namespace {

namespace lw = bb::logwrites;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct StopReplay {};

class CheckPipeline {
 public:
  CheckPipeline(const CheckerOptions& o, const replay::LogSession& session, ViewFactory& factory,
                std::string workdir)
      : o_(o),
        session_(session),
        index_(session.index()),
        factory_(factory),
        workdir_(std::move(workdir)),
        queue_(std::max<size_t>(4, size_t{2} * o.jobs)),
        board_(o.stop_at_first_failure, o),
        hasher_(session.source(), session.index()) {}

  void execute(const std::vector<CrashPoint>& points, RunSummary& summary) {
    plan(points);
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < std::max(1U, o_.jobs); ++w)
      workers.emplace_back([this, w] { work(w); });
    auto t0 = Clock::now();
    try {
      replay(points);
    } catch (const StopReplay&) {
      summary.stopped_early = true;
    } catch (...) {
      queue_.close();
      for (std::thread& t : workers) t.join();
      throw;
    }
    summary.replay_seconds = seconds_since(t0);
    base_views_.clear();
    queue_.close();
    for (std::thread& t : workers) t.join();
    summary.duplicates_skipped = duplicates_;
    summary.capped_points = capped_;
    // An interrupt also stops the replay and cancels states, but it is not
    // --stop-at-first-failure's early stop.
    summary.interrupted = o_.interrupt.stop_requested();
    summary.stopped_early =
        !summary.interrupted && (summary.stopped_early || board_.cancelled_any());
  }

  std::vector<StateResult> results() const { return board_.results(); }

 private:
  // Which entries need a view: the points, and the epoch bases of points
  // whose variants are checked (key base+1; 0 is the empty disk).
  void plan(const std::vector<CrashPoint>& points) {
    for (const CrashPoint& p : points) {
      point_at_[p.entry] = &p;
      if (!o_.beyond.enabled()) continue;
      auto epoch = std::make_shared<const Epoch>(epoch_of(index_, p.entry));
      epochs_[p.entry] = epoch;
      if (o_.beyond.enabled()) ++base_users_[epoch->base ? *epoch->base + 1 : 0];
    }
  }

  bool needs_view(uint64_t entry) const {
    return point_at_.count(entry) != 0 || base_users_.count(entry + 1) != 0;
  }

  void replay(const std::vector<CrashPoint>& points) {
    if (points.empty()) return;
    if (base_users_.count(0) != 0) base_views_[0] = factory_.take();
    std::unique_ptr<replay::ReplayTarget> target = factory_.open_replay_target();
    replay::ReplayOptions ro;
    ro.is_checkpoint = [this](uint64_t entry, const lw::IndexedEntry&) {
      // Also between crash points: the replay to the first one may be long.
      if (o_.interrupt.stop_requested()) throw StopReplay{};
      return needs_view(entry);
    };
    ro.on_checkpoint = [this](uint64_t entry) { at_checkpoint(entry); };
    ro.sync_at_checkpoint = factory_.take_needs_sync();
    session_.replay(*target, 0, points.back().entry, ro);
  }

  void at_checkpoint(uint64_t entry) {
    if (board_.stop_requested()) throw StopReplay{};
    if (base_users_.count(entry + 1) != 0) base_views_[entry + 1] = factory_.take();
    auto it = point_at_.find(entry);
    if (it != point_at_.end()) dispatch(*it->second);
  }

  void dispatch(const CrashPoint& p) {
    std::shared_ptr<const Epoch> epoch;
    if (auto e = epochs_.find(p.entry); e != epochs_.end()) epoch = e->second;
    // Prefix hashes are also what variants are compared with.
    std::optional<uint64_t> hash;
    if (o_.skip_duplicates || o_.beyond.enabled()) hash = hasher_.prefix_hash(p.entry);
    uint64_t seq = board_.reserve(p, {});
    if (std::optional<uint64_t> same = remember(hash, seq); same && o_.skip_duplicates) {
      ++duplicates_;
      board_.same_as(seq, *same);
    } else {
      queue_.push(Job{seq, p, {}, std::shared_ptr<View>(factory_.take()), epoch});
    }
    if (!o_.beyond.enabled()) return;
    uint64_t key = epoch->base ? *epoch->base + 1 : 0;
    std::shared_ptr<View> base = base_views_.at(key);
    if (--base_users_[key] == 0) {
      base_users_.erase(key);
      base_views_.erase(key);
    }
    bool capped = false;
    for (StateVariant& v : enumerate_variants(*epoch, index_, o_.beyond, &capped)) {
      std::optional<uint64_t> h = state_hash(epoch.get(), v);
      if (h && first_with_hash_.count(*h) != 0) {
        ++duplicates_;
        continue;
      }
      uint64_t vseq = board_.reserve(p, v);
      remember(h, vseq);
      queue_.push(Job{vseq, p, v, base, epoch});
    }
    if (capped) ++capped_;
  }

  // The state's content hash; nullopt when it is not hashed (no epoch
  // planned, or too big).
  std::optional<uint64_t> state_hash(const Epoch* epoch, const StateVariant& v) {
    if (epoch == nullptr) return std::nullopt;
    return hasher_.hash(*epoch, v);
  }

  // Remembers state `seq`'s hash; returns the first state with the same
  // hash if there was one.
  std::optional<uint64_t> remember(std::optional<uint64_t> hash, uint64_t seq) {
    if (!hash) return std::nullopt;
    auto [it, fresh] = first_with_hash_.emplace(*hash, seq);
    if (fresh) return std::nullopt;
    return it->second;
  }

  void work(unsigned worker) {
    std::string mnt = workdir_ + "/mnt-" + std::to_string(worker);
    fs::create_directories(mnt);
    LoopSlot loop;
    while (std::optional<Job> job = queue_.pop()) {
      if (board_.cancelled(job->seq)) {
        board_.skip(job->seq);
        continue;
      }
      auto t0 = Clock::now();
      Verdict verdict = Verdict::kError;
      std::string output;
      try {
        CheckOutcome out = check_one(*job, mnt, loop);
        verdict = out.passed ? Verdict::kPass : Verdict::kFail;
        output = std::move(out.output);
      } catch (const std::exception& err) {
        output = err.what();
      }
      if (o_.interrupt.stop_requested()) {
        board_.skip(job->seq);  // a terminal's Ctrl-C also killed its processes
      } else {
        board_.finish(job->seq, verdict, std::move(output), seconds_since(t0));
      }
      if (o_.on_progress) {
        uint64_t done = board_.done();
        o_.on_progress(done, std::max(done, total_hint()));
      }
    }
  }

  // States to check: the points until beyond-prefix states are known; never
  // less than what is done.
  uint64_t total_hint() const { return std::max<uint64_t>(point_at_.size(), board_.reserved()); }

  CheckOutcome check_one(Job& job, const std::string& mnt, LoopSlot& loop) {
    std::unique_ptr<View> own;
    View* view = job.view.get();
    if (!job.variant.is_prefix()) {
      own = factory_.clone(*job.view);
      apply_variant(own->path(), session_.source(), index_, *job.epoch, job.variant);
      view = own.get();
    }
    CheckTarget target{"", view->path(), mnt, job.point.entry, {}};
    if (view->is_block_device()) {
      target.device = view->path();
    } else if (o_.check->needs_block_device()) {
      const uint32_t block_size = filesystem_io_unit(view->path());
      target.device = view->own_device(block_size);
      if (target.device.empty()) target.device = loop.attach(view->path(), block_size);
    }
    CheckOutcome out;
    try {
      out = o_.check->run(target);
    } catch (...) {
      loop.detach();
      throw;
    }
    // Views go as soon as their check is done; a clone before the view it
    // was made from (a dm snapshot keeps its origin open).
    loop.detach();
    own.reset();
    job.view.reset();
    return out;
  }

  const CheckerOptions& o_;
  const replay::LogSession& session_;
  const lw::LogIndex& index_;
  ViewFactory& factory_;
  std::string workdir_;
  JobQueue queue_;
  ResultBoard board_;
  StateHasher hasher_;
  std::map<uint64_t, const CrashPoint*> point_at_;
  std::map<uint64_t, std::shared_ptr<const Epoch>> epochs_;
  std::map<uint64_t, unsigned> base_users_;
  std::map<uint64_t, std::shared_ptr<View>> base_views_;
  std::map<uint64_t, uint64_t> first_with_hash_;  // state hash -> seq of the first state with it
  uint64_t duplicates_ = 0;
  uint64_t capped_ = 0;
};

}  // namespace

std::vector<StateResult> check_states(const CheckerOptions& o, const replay::LogSession& session,
                                      ViewFactory& factory, const std::string& workdir,
                                      const std::vector<CrashPoint>& points, RunSummary& summary) {
  CheckPipeline pipeline(o, session, factory, workdir);
  pipeline.execute(points, summary);
  return pipeline.results();
}

}  // namespace bb::crashcheck
