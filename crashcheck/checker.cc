#include "crashcheck/checker.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/file_info.h"
#include "common/system_error.h"
#include "crashcheck/error.h"
#include "crashcheck/fs_superblock.h"
#include "crashcheck/leftovers.h"
#include "crashcheck/loop_device.h"
#include "crashcheck/view_copy.h"
#include "crashcheck/view_dm_snapshot.h"
#include "crashcheck/view_reflink.h"
#include "engine/replay_engine.h"
#include "format/log_format.h"

namespace bb::crashcheck {
namespace lw = bb::logwrites;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kError:
      return "ERROR";
  }
  return "?";
}

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

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A private directory, removed with everything in it at the end.
class WorkDir {
 public:
  explicit WorkDir(const std::string& parent) {
    std::string tmpl = parent + "/bb-crashcheck.XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) bb::common::throw_errno("cannot make a work directory in " + parent);
    path_ = tmpl;
    try {
      record_owner(path_);
    } catch (...) {
      std::error_code ec;
      fs::remove_all(path_, ec);
      throw;
    }
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string default_workdir_parent() {
  if (access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return "/var/tmp";
}

uint64_t free_bytes(const std::string& dir) {
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

// End of the highest range the log writes, rounded up to 1 MiB: the size a
// new replay image needs when the caller does not say.
uint64_t highest_write_end(const lw::LogIndex& index) {
  uint64_t end = 0;
  for (const lw::IndexedEntry& e : index.entries()) end = std::max(end, (e.sector + e.nr_sectors) * index.sectorsize());
  return (end + (1U << 20) - 1) & ~uint64_t((1U << 20) - 1);
}

// Everything the views need to exist: the work directory, maybe a reflink
// scratch filesystem or a directory for views beside a --target image, and
// the factory. Destroyed in reverse order.
struct ViewSetup {
  std::unique_ptr<WorkDir> work;
  std::unique_ptr<ReflinkScratch> scratch;
  std::unique_ptr<WorkDir> beside_target;
  std::unique_ptr<ViewFactory> factory;

  void reset() {
    factory.reset();
    beside_target.reset();
    scratch.reset();
    work.reset();
  }
};

// Reflink views of a --target image must be on its filesystem: they go to
// a private directory beside it (never to the user's directory itself,
// where a view-N.img of theirs would be overwritten), one that a later run
// removes if this one is killed. Returns null if that filesystem has no
// reflink or the directory cannot be made.
std::unique_ptr<WorkDir> reflink_dir_beside(const std::string& target, std::vector<std::string>& notes,
                                            std::string& why_not) {
  std::string dir = fs::path(target).parent_path().string();
  if (dir.empty()) dir = ".";
  for (std::string& line : remove_leftovers(dir)) notes.push_back(std::move(line));
  try {
    auto views = std::make_unique<WorkDir>(dir);
    if (supports_reflink(views->path())) return views;
    why_not = target + " is not on a filesystem with reflink";
  } catch (const std::exception& e) {  // CheckerError, or a failed system call
    why_not = e.what();
  }
  return nullptr;
}

ViewSetup make_views(const CheckerOptions& o, uint64_t image_size, std::vector<std::string>& notes) {
  ViewSetup s;
  std::string parent = o.workdir.empty() ? default_workdir_parent() : o.workdir;
  for (std::string& line : remove_leftovers(parent)) notes.push_back(std::move(line));
  s.work = std::make_unique<WorkDir>(parent);
  const std::string& work = s.work->path();
  if (o.view == ViewKind::kDmSnapshot) {
    auto dm = std::make_unique<DmSnapshotViewFactory>(o.target.value_or(work + "/replay.img"), image_size, work);
    if (o.target && dm->base_loop() != nullptr) record_loop(work, dm->base_loop()->path(), *o.target);
    s.factory = std::move(dm);
    return s;
  }
  if (o.target) {
    std::string why_not = *o.target + " is a block device";
    if (!bb::common::is_block_device(*o.target) && o.view != ViewKind::kCopy) {
      s.beside_target = reflink_dir_beside(*o.target, notes, why_not);
    }
    if (o.view == ViewKind::kReflink && !s.beside_target) throw CheckerError("--view reflink: " + why_not);
    if (s.beside_target) {
      s.factory = std::make_unique<ReflinkViewFactory>(*o.target, image_size, s.beside_target->path());
    } else {
      s.factory = std::make_unique<CopyViewFactory>(*o.target, image_size, work);
    }
    return s;
  }
  std::string dir = work;
  if (o.view != ViewKind::kCopy && !supports_reflink(dir)) {
    try {
      std::string backing = free_bytes("/dev/shm") > 4 * image_size && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : work;
      s.scratch = std::make_unique<ReflinkScratch>(backing, work + "/scratch", std::max<uint64_t>(16ULL << 30, 4 * image_size + (4ULL << 30)));
      record_scratch_image(work, s.scratch->image());
      dir = s.scratch->dir();
    } catch (const std::exception& err) {  // a failed system call or program (mkfs, mount)
      if (o.view == ViewKind::kReflink) throw;
      notes.push_back(std::string("no reflink scratch filesystem (") + err.what() + "): using copy views");
    }
  }
  if (o.view != ViewKind::kCopy && (s.scratch || supports_reflink(dir))) {
    s.factory = std::make_unique<ReflinkViewFactory>(dir + "/replay.img", image_size, dir);
  } else {
    s.factory = std::make_unique<CopyViewFactory>(dir + "/replay.img", image_size, dir);
  }
  return s;
}

// One state to check. A prefix state owns its view; a variant shares the
// view of its epoch base and clones it.
struct Job {
  uint64_t seq = 0;
  CrashPoint point;
  StateVariant variant;
  std::shared_ptr<View> view;
  std::shared_ptr<const Epoch> epoch;
};

// Jobs waiting for a worker; bounded so views do not pile up when checks
// are slower than the replay.
class JobQueue {
 public:
  explicit JobQueue(size_t capacity) : capacity_(capacity) {}
  void push(Job job) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return jobs_.size() < capacity_; });
    jobs_.push_back(std::move(job));
    ready_.notify_one();
  }
  std::optional<Job> pop() {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !jobs_.empty() || closed_; });
    if (jobs_.empty()) return std::nullopt;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    room_.notify_one();
    return job;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    ready_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<Job> jobs_;
  size_t capacity_;
  bool closed_ = false;
};

// Collects results from the workers and hands them out in log order. With
// stop_at_first_failure, states after the earliest failure are dropped
// (those before it still run: one of them may fail too).
class ResultBoard {
 public:
  ResultBoard(bool stop_at_first_failure, const CheckerOptions& o) : stop_(stop_at_first_failure), o_(o) {}

  uint64_t reserve(const CrashPoint& point, const StateVariant& variant) {
    std::lock_guard lock(mu_);
    uint64_t seq = slots_.size();
    slots_.push_back({});
    slots_.back().result.seq = seq;
    slots_.back().result.point = point;
    slots_.back().result.variant = variant;
    return seq;
  }

  // True if the state need not be checked any more.
  bool cancelled(uint64_t seq) const {
    if (o_.interrupt.stop_requested()) return true;
    std::lock_guard lock(mu_);
    return stop_ && first_fail_ && seq > *first_fail_;
  }
  bool stop_requested() const {
    if (o_.interrupt.stop_requested()) return true;
    std::lock_guard lock(mu_);
    return stop_ && first_fail_.has_value();
  }
  bool cancelled_any() const {
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

  std::vector<StateResult> results() const {
    std::lock_guard lock(mu_);
    std::vector<StateResult> out;
    for (const Slot& s : slots_) {
      if (s.checked && !(stop_ && first_fail_ && s.result.seq > *first_fail_)) out.push_back(s.result);
    }
    return out;
  }
  uint64_t done() const {
    std::lock_guard lock(mu_);
    return emitted_;
  }
  uint64_t reserved() const {
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
  std::map<uint64_t, std::vector<uint64_t>> followers_;  // seq -> duplicates waiting for its verdict
};

struct StopReplay {};

class Run {
 public:
  Run(const CheckerOptions& o, const replay::LogSession& session, ViewFactory& factory, std::string workdir)
      : o_(o), session_(session), index_(session.index()), factory_(factory), workdir_(std::move(workdir)),
        queue_(std::max<size_t>(4, size_t{2} * o.jobs)), board_(o.stop_at_first_failure, o),
        hasher_(session.source(), session.index()) {}

  void execute(const std::vector<CrashPoint>& points, RunSummary& summary) {
    plan(points);
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < std::max(1U, o_.jobs); ++w) workers.emplace_back([this, w] { work(w); });
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
    summary.stopped_early = !summary.interrupted && (summary.stopped_early || board_.cancelled_any());
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
    replay::ReplayTarget target(factory_.replay_path());
    replay::ReplayOptions ro;
    ro.is_checkpoint = [this](uint64_t entry, const lw::IndexedEntry&) {
      // Also between crash points: the replay to the first one may be long.
      if (o_.interrupt.stop_requested()) throw StopReplay{};
      return needs_view(entry);
    };
    ro.on_checkpoint = [this](uint64_t entry) { at_checkpoint(entry); };
    ro.sync_at_checkpoint = factory_.take_needs_sync();
    session_.replay(target, 0, points.back().entry, ro);
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
    const View* view = job.view.get();
    if (!job.variant.is_prefix()) {
      own = factory_.clone(*job.view);
      apply_variant(own->path(), session_.source(), index_, *job.epoch, job.variant);
      view = own.get();
    }
    CheckTarget target{"", view->path(), mnt, job.point.entry};
    if (view->is_block_device()) {
      target.device = view->path();
    } else if (o_.check->needs_block_device()) {
      target.device = loop.attach(view->path(), filesystem_io_unit(view->path()));
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

uint64_t resolve_start(const CheckerOptions& o, const replay::LogSession& s, std::vector<std::string>& notes) {
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

// Keeps the crash images (before any recovery) of the first failing state
// and of the last good prefix point before it, and diffs them.
FirstFailure keep_evidence(const CheckerOptions& o, const replay::LogSession& s, const std::vector<StateResult>& results,
                           const StateResult& fail, uint64_t image_size, uint64_t start) {
  FirstFailure ff;
  ff.failing = fail;
  for (const StateResult& r : results) {
    if (r.seq >= fail.seq) break;
    if (r.variant.is_prefix() && r.verdict == Verdict::kPass) ff.good_entry = r.point.entry;
  }
  if (ff.good_entry) {
    auto it = std::find_if(results.begin(), results.end(),
                           [&](const StateResult& r) { return r.point.entry == *ff.good_entry && r.variant.is_prefix(); });
    ff.good_label = fmt::format("entry {} ({})", *ff.good_entry, it->point.kind());
  } else {
    ff.good_entry = start > 0 ? std::optional<uint64_t>(start - 1) : std::nullopt;
    ff.good_label = ff.good_entry ? fmt::format("the start (entry {})", *ff.good_entry) : "the empty disk";
  }
  if (o.keep_dir.empty()) return ff;
  fs::create_directories(o.keep_dir);
  ff.good_image = fmt::format("{}/good-{}.img", o.keep_dir, ff.good_entry ? fmt::format("{}", *ff.good_entry) : "empty");
  ff.fail_image = fmt::format("{}/fail-{}{}.img", o.keep_dir, fail.point.entry, fail.variant.is_prefix() ? "" : fmt::format("-state{}", fail.seq));
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
    result.notes.push_back(fmt::format("the log has a bad entry: checking the {} entries before it ({})", index.size(),
                                       index.tail_error()->error().what()));
  }
  uint64_t start = resolve_start(o, session, result.notes);
  uint64_t end = resolve_end(o, session);
  if (index.size() > 0 && start >= index.size()) {
    throw CheckerError(fmt::format("the first point, entry {}, is past the log's last entry, {}", start, index.size() - 1));
  }
  if (start > end) {
    bool from_mkfs = !o.start_entry && !o.start_mark && start > 0;
    throw CheckerError(fmt::format("the first point, entry {}, is after the last, entry {}{}", start, end,
                                   from_mkfs ? " (checking starts at the 'mkfs' mark unless --start-entry or --start-mark says)" : ""));
  }
  std::vector<CrashPoint> points = select_points(index, start, end, o.points);
  if (points.empty()) result.notes.push_back(fmt::format("no crash point of the kinds asked for in entries {}..{}", start, end));
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
  {
    Run run(o, session, *views.factory, views.work->path());
    run.execute(points, sum);
    result.results = run.results();
  }
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
    result.first_failure = keep_evidence(o, session, result.results, *fail, size, start);
  }
  sum.wall_seconds = seconds_since(t0);
  return result;
}

}  // namespace bb::crashcheck
