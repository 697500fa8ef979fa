// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/group_check.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "crashcheck/check_pipeline.h"
#include "crashcheck/error.h"
#include "crashcheck/fs_superblock.h"
#include "crashcheck/leftovers.h"
#include "crashcheck/loop_device.h"
#include "crashcheck/view_copy.h"
#include "crashcheck/view_reflink.h"
#include "crashcheck/work_dir.h"
#include "engine/replay_engine.h"
#include "format/log_checksum.h"
#include "format/log_format.h"
#include "format/log_group.h"

namespace bb::crashcheck {
namespace lw = bb::logwrites;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// One device of the group: its log, the image it is replayed onto and the
// views of that image.
struct Device {
  std::string name;
  std::unique_ptr<replay::LogSession> session;
  std::unique_ptr<ViewFactory> factory;
  std::unique_ptr<replay::ReplayTarget> target;
  uint64_t replayed = 0;  // entries of its log on the image
};

// The group positions `selection` picks in [first, last] (global order).
std::vector<CrashPoint> select_group_points(const lw::LogGroup& group, uint64_t first,
                                            uint64_t last, const PointSelection& selection) {
  std::set<uint64_t> chosen;
  const uint64_t mask = (selection.fua ? lw::kFlagFua : 0) |
                        (selection.flush ? lw::kFlagFlush : 0) |
                        (selection.marks ? lw::kFlagMark : 0);
  for (uint64_t k = first; k <= last; ++k) {
    if ((group.entry(k).flags & mask) != 0) chosen.insert(k);
  }
  if (selection.every != 0) {
    for (uint64_t k = first + selection.every - 1; k <= last; k += selection.every)
      chosen.insert(k);
  }
  for (uint64_t k : selection.entries) {
    if (k >= first && k <= last) chosen.insert(k);
  }
  std::vector<CrashPoint> points;
  for (uint64_t k : chosen) {
    CrashPoint p{k, group.entry(k).flags, {}};
    if (const std::string* text = group.mark_text(k)) p.mark = *text;
    points.push_back(std::move(p));
  }
  return points;
}

void refuse_unsupported(const CheckerOptions& o) {
  auto no = [](const char* what) {
    throw CheckerError(fmt::format("{} does not work with --group", what));
  };
  if (o.beyond.enabled()) no("beyond-prefix states (--drop, --random-subsets, --torn)");
  if (o.target) no("--target");
  if (o.view == ViewKind::kDmSnapshot) no("--view dm-snapshot");
  if (o.check == nullptr) throw CheckerError("no check given");
  std::set<std::string> names;
  for (const GroupLog& g : o.group) {
    if (g.name.empty()) throw CheckerError("--group " + g.log + ": the device has no name");
    if (!names.insert(g.name).second)
      throw CheckerError("--group: two devices named '" + g.name + "'");
  }
  if (o.group.size() < 2) throw CheckerError("--group needs the logs of at least two devices");
}

// "data.log=data log.log=log": the logs as the command line named them.
std::string group_text(const CheckerOptions& o) {
  std::string s;
  for (const GroupLog& g : o.group) s += (s.empty() ? "" : " ") + g.log + "=" + g.name;
  return s;
}

}  // namespace

RunResult run_group_checks(const CheckerOptions& o) {
  refuse_unsupported(o);
  const auto t0 = Clock::now();
  RunResult result;
  std::unique_ptr<WorkDir> work;  // destroyed after the devices' images and views
  std::vector<Device> devices;
  std::vector<lw::GroupDevice> members;
  for (const GroupLog& g : o.group) {
    Device d;
    d.name = g.name;
    d.session = std::make_unique<replay::LogSession>(g.log);
    if (d.session->index().tail_error()) {
      throw CheckerError(fmt::format("{}: a bad entry after entry {} ({})", g.log,
                                     d.session->index().size(),
                                     d.session->index().tail_error()->error().what()));
    }
    devices.push_back(std::move(d));
  }
  for (size_t i = 0; i < devices.size(); ++i)
    members.push_back(lw::GroupDevice{o.group[i].log, &devices[i].session->index()});
  const lw::LogGroup group(members);

  // Past complete_through() a log without its end mark may have lost
  // entries that later entries of the other logs depend on.
  uint64_t usable = group.size();
  if (!group.complete()) {
    const std::optional<size_t> last = group.position_at_seq(group.complete_through());
    usable = last ? *last + 1 : 0;
    result.notes.push_back(fmt::format(
        "the group is not complete (a log lacks its end mark): checking its first {} of {} "
        "entries, up to sequence {}",
        usable, group.size(), group.complete_through()));
  }
  uint64_t start = 0;
  if (o.start_entry) {
    start = *o.start_entry;
  } else if (auto m = group.find_mark(o.start_mark.value_or("mkfs"))) {
    start = *m;
  } else if (o.start_mark) {
    throw CheckerError("no mark '" + *o.start_mark + "' in the group");
  } else {
    result.notes.emplace_back("no mark 'mkfs' in the group: checking from entry 0");
  }
  uint64_t end = usable == 0 ? 0 : usable - 1;
  if (o.end_entry) {
    end = std::min(end, *o.end_entry);
  } else if (o.end_mark) {
    const std::optional<size_t> m = group.find_mark(*o.end_mark);
    if (!m) throw CheckerError("no mark '" + *o.end_mark + "' in the group");
    if (*m >= usable) throw CheckerError("mark '" + *o.end_mark + "' is past the complete part");
    end = *m;
  }
  if (usable == 0 || start > end) {
    throw CheckerError(fmt::format("no group entries to check between {} and {}", start, end));
  }
  std::vector<CrashPoint> points = select_group_points(group, start, end, o.points);
  if (points.empty()) {
    result.notes.push_back(
        fmt::format("no crash point of the kinds asked for in group entries {}..{}", start, end));
  }

  RunIdentity& run = result.run;
  run.version = BB_VERSION;
  run.log = group_text(o);
  run.log_entries = group.size();
  run.options = fmt::format(
      "group={} check={} points={} start={} end={} duplicates=check "
      "stop-at-first-failure={}",
      run.log, o.check->identity(), o.points.describe(), start, end, o.stop_at_first_failure);
  run.stop_at_first_failure = o.stop_at_first_failure;
  run.points_total = points.size();
  if (o.shard) {
    // The identity of every device's log, in --group order.
    run.shard = *o.shard;
    for (const Device& d : devices)
      run.log_digest += (run.log_digest.empty() ? "" : ",") + log_digest(*d.session);
    const auto [first, last] = o.shard->range(points.size());
    points = std::vector<CrashPoint>(points.begin() + static_cast<ptrdiff_t>(first),
                                     points.begin() + static_cast<ptrdiff_t>(last));
  }

  const std::string parent = o.workdir.empty() ? default_workdir_parent() : o.workdir;
  for (std::string& line : remove_leftovers(parent)) result.notes.push_back(std::move(line));
  work = std::make_unique<WorkDir>(parent);
  const bool reflink = o.view != ViewKind::kCopy && supports_reflink(work->path());
  if (o.view == ViewKind::kReflink && !reflink)
    throw CheckerError("--view reflink: the work directory " + work->path() + " has no reflink");
  for (Device& d : devices) {
    const std::string dir = work->path() + "/" + std::to_string(&d - devices.data());
    fs::create_directories(dir);
    const uint64_t size = std::max(o.image_size.value_or(0), highest_write_end(d.session->index()));
    const std::string image = dir + "/replay.img";
    if (reflink) {
      d.factory = std::make_unique<ReflinkViewFactory>(image, size, dir);
    } else {
      d.factory = std::make_unique<CopyViewFactory>(image, size, dir);
    }
    d.target = std::make_unique<replay::ReplayTarget>(d.factory->replay_path());
  }

  RunSummary& sum = result.summary;
  sum.start_entry = start;
  sum.end_entry = end;
  sum.points = points.size();
  sum.view = view_kind_name(reflink ? ViewKind::kReflink : ViewKind::kCopy);
  sum.check = o.check->name();
  sum.jobs = 1;
  const std::string mnt = work->path() + "/mnt";
  fs::create_directories(mnt);
  std::vector<LoopSlot> loops(devices.size());
  const auto t_replay = Clock::now();
  double check_seconds = 0;
  for (const CrashPoint& p : points) {
    if (o.interrupt.stop_requested()) {
      sum.interrupted = true;
      break;
    }
    const std::vector<uint64_t> counts = group.prefix(p.entry);
    std::vector<std::unique_ptr<View>> views;
    for (size_t i = 0; i < devices.size(); ++i) {
      Device& d = devices[i];
      if (counts[i] > d.replayed) {
        d.session->replay(*d.target, d.replayed, counts[i] - 1, {});
        d.replayed = counts[i];
      }
      if (d.factory->take_needs_sync()) d.target->sync();
      views.push_back(d.factory->take());
    }
    const auto t_check = Clock::now();
    StateResult r;
    r.seq = result.results.size();
    r.point = p;
    CheckTarget target{"", views[0]->path(), mnt, p.entry, {}};
    try {
      for (size_t i = 0; i < devices.size(); ++i) {
        std::string dev;
        if (views[i]->is_block_device()) {
          dev = views[i]->path();
        } else if (o.check->needs_block_device()) {
          dev = loops[i].attach(views[i]->path(), filesystem_io_unit(views[i]->path()));
        }
        target.devices.push_back({devices[i].name, dev, views[i]->path()});
      }
      target.device = target.devices[0].device;
      CheckOutcome out = o.check->run(target);
      r.verdict = out.passed ? Verdict::kPass : Verdict::kFail;
      r.output = std::move(out.output);
    } catch (const std::exception& err) {
      r.verdict = Verdict::kError;
      r.output = err.what();
    }
    for (LoopSlot& l : loops) l.detach();
    views.clear();
    r.seconds = seconds_since(t_check);
    check_seconds += r.seconds;
    if (o.interrupt.stop_requested()) {
      sum.interrupted = true;
      break;  // its processes may have been killed by the same signal
    }
    ++sum.states;
    if (r.verdict == Verdict::kPass) ++sum.passed;
    if (r.verdict == Verdict::kFail) ++sum.failed;
    if (r.verdict == Verdict::kError) ++sum.errors;
    if (o.on_result) o.on_result(r);
    result.results.push_back(std::move(r));
    if (o.on_progress) o.on_progress(result.results.size(), points.size());
    if (o.stop_at_first_failure && result.results.back().verdict != Verdict::kPass) {
      sum.stopped_early = &p != &points.back();
      break;
    }
  }
  sum.replay_seconds = seconds_since(t_replay) - check_seconds;
  if (sum.failed + sum.errors != 0 && !o.keep_dir.empty())
    result.notes.emplace_back("groups: no failure images are kept (--keep-dir)");
  sum.wall_seconds = seconds_since(t0);
  return result;
}

}  // namespace bb::crashcheck
