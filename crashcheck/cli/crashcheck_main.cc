// SPDX-License-Identifier: GPL-2.0-or-later
// bb-crashcheck: checks a filesystem at every crash point of a dm-log-writes
// log, replaying the log once. See docs/bb-crashcheck.md.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "common/file_descriptor.h"
#include "common/system_error.h"
#include "crashcheck/check_profiles.h"
#include "crashcheck/checker.h"
#include "crashcheck/error.h"
#include "crashcheck/group_check.h"
#include "crashcheck/report.h"
#include "crashcheck/report_merge.h"
#include "engine/progress.h"
#include "engine/replay_error.h"
#include "format/log_error.h"

namespace po = boost::program_options;
using namespace bb::crashcheck;

namespace {

constexpr const char* kUsage =
    R"(Usage: bb-crashcheck --log LOG (--fs ext4|xfs|btrfs | --check-cmd CMD) [options]
       bb-crashcheck --group LOG=NAME --group LOG=NAME ... (--fs xfs --xfs-logdev NAME
                     | --fs btrfs | --check-cmd CMD) [options]
       bb-crashcheck merge [--json] [--junit FILE] [-q] [-v] REPORT.json...

Replays a dm-log-writes log once, from entry 0, and at every crash point
(by default every FUA after the 'mkfs' mark) checks the filesystem on a
private copy-on-write view of the replayed disk, several checks at a time,
while the replay goes on. Results are printed in log order.

Exit status: 0 every state passed, 1 a state failed, 2 usage or set-up error,
128+N interrupted by signal N (SIGINT, SIGTERM, SIGHUP): the running checks
are finished and everything is cleaned up; a second signal quits at once.

--shard K/N checks the K-th of N contiguous shares of the points (each
shard replays the log once, to its first point); run the N shards anywhere
with the same log and options, each with --json, then `bb-crashcheck merge`
their reports into the report one run would give (text, --json, --junit;
the same exit status). merge refuses reports of different logs, options
or versions, and a set that is not every shard exactly once.

--group checks a recording group (one --group per device's log, NAME naming
the device for the check): the crash points are entries of the group's
global order (FUA, FLUSH, marks of any device; --start-entry/--end-entry and
entry numbers in --points count global positions); at each point every
device gets a view and one check runs with all of them, one check at a
time, each state checked (no duplicate skipping); --shard works. Not with
--target, --view dm-snapshot, --jobs above 1, beyond-prefix states or
--fs ext4; no failure images are kept. --fs btrfs: every group device is
one of the filesystem's (mount -o device=..., then btrfs device scan
--forget of the view's devices).
)";

constexpr const char* kExamples = R"(
Check profiles (steps run on the view's block device, in this order):
  ext4:  mount; umount; e2fsck -fn
  xfs:   mount -o nouuid; umount; xfs_repair -n -P -o bhash=N -o phase2_threads=1
         (xfs_repair refuses a dirty log; N: a bucket per 256 KiB of device)
  btrfs: btrfs check --readonly; mount; umount; btrfs check --readonly
--check-cmd runs a shell command: {dev} is a block device (a loop device on
the view), {image} the view itself, {mnt} an empty directory, {entry} the
crash point's entry number; exit 0 passes. With --group also {dev:NAME} and
{image:NAME} for the device NAME ({dev} and {image}: the first --group).
--fs xfs --xfs-logdev NAME (with --group): NAME is the external log device,
mounted with -o nouuid,logdev=DEV and repaired with xfs_repair -l DEV.

Examples:
  bb-crashcheck --log log.img --fs ext4
  bb-crashcheck --log /dev/vdb --fs xfs --points fua,mark --jobs 4 --junit results.xml
  bb-crashcheck --log log.img --fs btrfs --stop-at-first-failure --keep-dir /tmp/evidence
  bb-crashcheck --log log.img --check-cmd 'fsck.ext4 -fn {dev}' --start-entry 0 --points every=100
  bb-crashcheck --log log.img --fs ext4 --points fua,flush --drop 2 --torn --json
  bb-crashcheck --log log.img --fs ext4 --target /dev/vdc --view dm-snapshot
  bb-crashcheck --group data.log=data --group xlog.log=log --fs xfs --xfs-logdev log
  bb-crashcheck --group raid1-a.log=a --group raid1-b.log=b --fs btrfs
  bb-crashcheck --group a.log=a --group b.log=b --check-cmd 'fsck.ext4 -fn {dev:a} && cmp -s {image:b} ref.img'
  seq 4 | xargs -P 4 -I {} sh -c 'bb-crashcheck --log log.img --fs xfs --shard {}/4 --json >shard-{}.json'
  bb-crashcheck merge --junit results.xml shard-*.json
)";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

uint64_t parse_u64(const std::string& text, const char* option) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw UsageError(fmt::format("--{}: '{}' is not a number", option, text));
  }
  return v;
}

// Sizes like 512M, 1G, 1048576.
uint64_t parse_size(std::string text) {
  uint64_t mult = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        mult = 1ULL << 10;
        break;
      case 'M':
      case 'm':
        mult = 1ULL << 20;
        break;
      case 'G':
      case 'g':
        mult = 1ULL << 30;
        break;
      case 'T':
      case 't':
        mult = 1ULL << 40;
        break;
      default:
        break;
    }
    if (mult != 1) text.pop_back();
  }
  return parse_u64(text, "size") * mult;
}

ViewKind parse_view(const std::string& v) {
  if (v == "reflink") return ViewKind::kReflink;
  if (v == "copy") return ViewKind::kCopy;
  if (v == "dm-snapshot") return ViewKind::kDmSnapshot;
  throw UsageError("--view: '" + v + "' is not auto, reflink, copy or dm-snapshot");
}

// --group LOG=NAME arguments. The name is what follows the last '=' (a
// log path may hold one).
std::vector<GroupLog> parse_group_args(const std::vector<std::string>& args) {
  std::vector<GroupLog> group;
  for (const std::string& a : args) {
    const size_t eq = a.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == a.size())
      throw UsageError("--group takes LOG=NAME, not '" + a + "'");
    GroupLog g{a.substr(0, eq), a.substr(eq + 1)};
    if (g.name.find_first_of("{}:= \t") != std::string::npos)
      throw UsageError("--group " + a + ": a device name has no '{', '}', ':', '=' or blanks");
    for (const GroupLog& other : group) {
      if (other.name == g.name) throw UsageError("--group: two devices named '" + g.name + "'");
    }
    group.push_back(std::move(g));
  }
  if (group.size() < 2) throw UsageError("--group: give the log of every device (at least two)");
  return group;
}

// What a group run does not do (yet): say so rather than ignore it.
void refuse_for_group(const po::variables_map& vm) {
  for (const char* o : {"target", "drop", "random-subsets", "torn", "skip-duplicates"}) {
    if (vm.count(o) != 0) throw UsageError(fmt::format("--{} does not work with --group", o));
  }
  if (vm.count("jobs") != 0 && vm["jobs"].as<unsigned>() != 1)
    throw UsageError("--group checks one state at a time: --jobs must be 1");
  if (vm["view"].as<std::string>() == "dm-snapshot")
    throw UsageError("--view dm-snapshot does not work with --group");
  if (vm.count("fs") != 0 && vm["fs"].as<std::string>() == "ext4") {
    throw UsageError(
        "--group: the profiles that check a group are xfs (with --xfs-logdev) and "
        "btrfs; use --check-cmd with {dev:NAME}");
  }
}

// Every device name the check refers to must be one of the group's.
void check_group_names(const std::vector<GroupLog>& group, const std::string& command,
                       const std::string& logdev) {
  std::vector<std::string> used = command_device_names(command);
  if (!logdev.empty()) used.push_back(logdev);
  if (logdev == group.front().name)
    throw UsageError("--xfs-logdev " + logdev + ": the first --group is the data device");
  for (const std::string& name : used) {
    if (std::none_of(group.begin(), group.end(),
                     [&](const GroupLog& g) { return g.name == name; })) {
      throw UsageError("no --group device named '" + name + "'");
    }
  }
}

struct Cli {
  CheckerOptions options;
  std::unique_ptr<Check> check;
  bool json = false;
  bool quiet = false;
  bool progress = true;
  std::string junit;
};

po::options_description describe() {
  po::options_description d("Options");
  d.add_options()("log", po::value<std::string>()->value_name("LOG"),
                  "log file or device (required, or --group)")(
      "group", po::value<std::vector<std::string>>()->value_name("LOG=NAME"),
      "one log of a recording group and the device's name in checks (repeat per device)")(
      "xfs-logdev", po::value<std::string>()->value_name("NAME"),
      "--fs xfs with --group: the group device that is the external log")(
      "fs", po::value<std::string>()->value_name("FS"),
      "built-in check profile: ext4, xfs or btrfs")(
      "check-cmd", po::value<std::string>()->value_name("CMD"),
      "check with a shell command ({dev}, {image}, {mnt}, {entry})")(
      "points", po::value<std::string>()->value_name("LIST")->default_value("fua"),
      "crash points: comma list of fua, flush, mark, every=N, entry numbers")(
      "shard", po::value<std::string>()->value_name("K/N"),
      "check only the K-th of N shares of the points (see merge)")(
      "start-mark", po::value<std::string>()->value_name("MARK"),
      "first crash point at or after this mark (default: mkfs, if present)")(
      "start-entry", po::value<std::string>()->value_name("N"),
      "first crash point at or after entry N")("end-mark",
                                               po::value<std::string>()->value_name("MARK"),
                                               "last crash point at or before this mark")(
      "end-entry", po::value<std::string>()->value_name("N"),
      "last crash point at or before entry N")(
      "target", po::value<std::string>()->value_name("PATH"),
      "replay onto this image file (a sparse one is made if missing) or block device (must read as "
      "zeroes)")("size", po::value<std::string>()->value_name("BYTES"),
                 "size of the replay image (default: end of the highest write; K/M/G suffixes)")(
      "view", po::value<std::string>()->value_name("KIND")->default_value("auto"),
      "auto, reflink, copy or dm-snapshot")(
      "workdir", po::value<std::string>()->value_name("DIR"),
      "where the work directory goes (default /dev/shm, else /var/tmp)")(
      "jobs,j", po::value<unsigned>()->value_name("N"),
      "checks run side by side (default: 6 per core)")(
      "stop-at-first-failure", "stop replaying and checking after the first failing state")(
      "keep-dir", po::value<std::string>()->value_name("DIR")->default_value("crashcheck-failure"),
      "where the first failure's and the last good point's images go ('' keeps none)")(
      "drop", po::value<unsigned>()->value_name("K"),
      "beyond prefixes: also every state with 1..K unflushed writes dropped")(
      "random-subsets", po::value<unsigned>()->value_name("N"),
      "beyond prefixes: also N random subsets of the unflushed writes")(
      "seed", po::value<uint64_t>()->value_name("S")->default_value(1),
      "seed for --random-subsets")(
      "torn", "beyond prefixes: also torn multi-sector writes (a sector-aligned prefix lands)")(
      "max-states-per-point", po::value<unsigned>()->value_name("N")->default_value(256),
      "bound on extra states per point")("skip-duplicates",
                                         "give prefix states identical to an earlier state its "
                                         "verdict without checking them (default)")(
      "check-duplicates", "check every prefix state, also those identical to an earlier one")(
      "timeout", po::value<unsigned>()->value_name("SEC")->default_value(600),
      "time limit per check step")("json", "print the report as JSON")(
      "junit", po::value<std::string>()->value_name("FILE"), "also write a JUnit XML report")(
      "verbose,v", "print every check's output, not only failures'")(
      "quiet,q", "print only failures and the summary")("no-progress", "never show a progress bar")(
      "print-profile", po::value<std::string>()->value_name("FS"),
      "print a profile's steps and exit")("help,h", "show this help");
  return d;
}

Cli parse(int argc, char** argv, bool& exit_now) {
  po::options_description d = describe();
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, d), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  exit_now = false;
  if (vm.count("help") != 0) {
    std::cout << kUsage << "\n" << d << kExamples;
    exit_now = true;
    return {};
  }
  if (vm.count("print-profile") != 0) {
    for (const std::string& s : profile_steps(vm["print-profile"].as<std::string>()))
      std::cout << s << "\n";
    exit_now = true;
    return {};
  }
  Cli c;
  auto str = [&](const char* k) -> std::optional<std::string> {
    if (vm.count(k) == 0) return std::nullopt;
    return vm[k].as<std::string>();
  };
  CheckerOptions& o = c.options;
  if (vm.count("group") != 0) {
    if (str("log")) throw UsageError("--log and --group exclude each other");
    o.group = parse_group_args(vm["group"].as<std::vector<std::string>>());
    refuse_for_group(vm);
  } else if (!str("log")) {
    throw UsageError("--log is required");
  }
  if (str("fs").has_value() == str("check-cmd").has_value())
    throw UsageError("give exactly one of --fs and --check-cmd");
  if (str("xfs-logdev") && (o.group.empty() || str("fs") != "xfs"))
    throw UsageError("--xfs-logdev goes with --fs xfs and --group");
  if (!o.group.empty() && str("fs") == "xfs" && !str("xfs-logdev"))
    throw UsageError("--fs xfs with --group needs --xfs-logdev NAME");
  std::chrono::seconds timeout(vm["timeout"].as<unsigned>());
  c.check = str("fs") ? make_profile_check(*str("fs"), timeout, str("xfs-logdev").value_or(""))
                      : make_command_check(*str("check-cmd"), timeout);
  if (!o.group.empty())
    check_group_names(o.group, str("check-cmd").value_or(""), str("xfs-logdev").value_or(""));
  if (o.group.empty()) o.log = *str("log");
  o.check = c.check.get();
  o.points = PointSelection::parse(vm["points"].as<std::string>());
  if (auto v = str("shard")) o.shard = Shard::parse(*v);
  if (str("start-mark") && str("start-entry"))
    throw UsageError("give --start-mark or --start-entry, not both");
  if (str("end-mark") && str("end-entry"))
    throw UsageError("give --end-mark or --end-entry, not both");
  o.start_mark = str("start-mark");
  if (auto v = str("start-entry")) o.start_entry = parse_u64(*v, "start-entry");
  o.end_mark = str("end-mark");
  if (auto v = str("end-entry")) o.end_entry = parse_u64(*v, "end-entry");
  o.target = str("target");
  if (auto v = str("size")) o.image_size = parse_size(*v);
  if (std::string v = vm["view"].as<std::string>(); v != "auto") o.view = parse_view(v);
  if (auto v = str("workdir")) o.workdir = *v;
  // Six checks per core by default: a check waits on the kernel (loop
  // I/O, journal recovery, its own threads, the queue freezes of a
  // write-through loop device) for much of its time, so fewer leave the
  // cores idle; xfs waits most (measured in bench/crashcheck/run: 6 jobs
  // 3.8-4.1 s, 12 jobs 3.1-3.2 s on two cores; ext4 and btrfs level).
  o.jobs = vm.count("jobs") != 0 ? vm["jobs"].as<unsigned>()
           : o.group.empty()     ? 6 * std::max(1U, std::thread::hardware_concurrency())
                                 : 1;
  if (o.jobs == 0) throw UsageError("--jobs must be at least 1");
  o.stop_at_first_failure = vm.count("stop-at-first-failure") != 0;
  o.keep_dir = vm["keep-dir"].as<std::string>();
  if (vm.count("drop") != 0) o.beyond.drop_up_to = vm["drop"].as<unsigned>();
  if (vm.count("random-subsets") != 0)
    o.beyond.random_subsets = vm["random-subsets"].as<unsigned>();
  o.beyond.seed = vm["seed"].as<uint64_t>();
  o.beyond.torn = vm.count("torn") != 0;
  o.beyond.max_states_per_point = vm["max-states-per-point"].as<unsigned>();
  if (vm.count("skip-duplicates") != 0 && vm.count("check-duplicates") != 0) {
    throw UsageError("--skip-duplicates and --check-duplicates exclude each other");
  }
  o.skip_duplicates = vm.count("check-duplicates") == 0;
  o.verbose = vm.count("verbose") != 0;
  c.json = vm.count("json") != 0;
  c.quiet = vm.count("quiet") != 0;
  c.progress = vm.count("no-progress") == 0;
  if (auto v = str("junit")) c.junit = *v;
  return c;
}

// Takes SIGINT, SIGTERM and SIGHUP on a thread of its own while it lives,
// so that an interrupted run still unmounts its views, detaches its loop
// devices and removes its work directory (the default action would leave
// them all behind). The first signal requests the stop; a second one gets
// the default action, for a user who would rather quit now. The thread
// sleeps in poll() on a signalfd and an eventfd the destructor writes, so
// that a run ends as soon as its work does (a timed wait made every run
// last up to a tick longer).
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, sig);
    // Before any other thread starts: they inherit the mask.
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    signals_ = bb::common::FileDescriptor(signalfd(-1, &set_, SFD_CLOEXEC));
    wake_ = bb::common::FileDescriptor(eventfd(0, EFD_CLOEXEC));
    if (!signals_ || !wake_) {
      int err = errno;
      pthread_sigmask(SIG_SETMASK, &old_, nullptr);
      throw bb::common::SystemError(err, "cannot watch for signals");
    }
    thread_ = std::thread([this] { watch(); });
  }
  ~SignalWatcher() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_.get(), &one, sizeof one);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  std::stop_token token() const { return source_.get_token(); }
  int signal() const { return signal_.load(); }

 private:
  void watch() {
    for (;;) {
      std::array<pollfd, 2> fds{{{signals_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}}};
      if (poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;  // cannot happen with valid descriptors; stop watching
      }
      if ((fds[1].revents & POLLIN) != 0) return;
      signalfd_siginfo info{};
      if (read(signals_.get(), &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
      int sig = static_cast<int>(info.ssi_signo);
      if (signal_.load() == 0) {
        signal_.store(sig);
        std::fprintf(stderr,
                     "\nbb-crashcheck: SIG%s: finishing the running checks and cleaning up (again "
                     "to quit at once, "
                     "leaving mounts and loop devices behind)\n",
                     sigabbrev_np(sig) != nullptr ? sigabbrev_np(sig) : "signal");
        source_.request_stop();
        continue;
      }
      std::signal(sig, SIG_DFL);
      pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
      raise(sig);
    }
  }

  sigset_t set_{};
  sigset_t old_{};
  bb::common::FileDescriptor signals_;
  bb::common::FileDescriptor wake_;
  std::stop_source source_;
  std::atomic<int> signal_{0};
  std::thread thread_;
};

std::string column_header() {
  return fmt::format("{:>8}  {:<18} {:<6} {:>9}\n", "entry", "kind", "result", "time");
}

int exit_status(const RunResult& r) { return r.summary.failed + r.summary.errors == 0 ? 0 : 1; }

// The report after the run: JSON, or the result lines (unless they were
// streamed: `header` null) and the summary; and the JUnit file if asked.
void print_report(const RunResult& r, const Cli& c, const std::function<void()>* header,
                  std::ofstream& junit) {
  if (c.json) {
    std::cout << format_json(r);
  } else {
    if (header != nullptr) {
      for (const StateResult& s : r.results) {
        if (c.quiet && s.verdict == Verdict::kPass) continue;
        (*header)();
        std::cout << format_result_line(s, c.options.verbose);
      }
    }
    std::cout << format_summary(r);
  }
  if (junit.is_open()) {
    junit << format_junit(r, r.run.log);
    junit.flush();
    if (!junit) throw CheckerError("cannot write " + c.junit);
  }
}

int run(Cli& c) {
  SignalWatcher signals;
  c.options.interrupt = signals.token();
  std::mutex out_mu;
  std::unique_ptr<bb::replay::ProgressBar> bar;
  bool show_bar = c.progress && bb::replay::ProgressBar::stderr_is_tty();
  // On a terminal the bar owns the screen and results come after it;
  // otherwise results stream as they are decided.
  bool stream = !c.json && !show_bar;
  // The column header comes with the first result line (none before a
  // set-up error, with --quiet or --json).
  std::once_flag header_once;
  const std::function<void()> header = [&] {
    std::call_once(header_once, [&] {
      if (!c.quiet) std::cout << column_header();
    });
  };
  // An unwritable --junit file fails now, not after the run.
  std::ofstream junit;
  if (!c.junit.empty()) {
    junit.open(c.junit);
    if (!junit) bb::common::throw_errno("cannot write --junit " + c.junit);
  }
  c.options.on_result = [&](const StateResult& r) {
    if (!stream || (c.quiet && r.verdict == Verdict::kPass)) return;
    header();
    std::cout << format_result_line(r, c.options.verbose) << std::flush;
  };
  c.options.on_progress = [&](uint64_t done, uint64_t total) {
    std::lock_guard lock(out_mu);
    if (show_bar && !bar) bar = std::make_unique<bb::replay::ProgressBar>("checking", total, true);
    if (bar) bar->update(done, 0);
  };
  RunResult r = c.options.group.empty() ? run_checks(c.options) : run_group_checks(c.options);
  bar.reset();
  print_report(r, c, stream ? nullptr : &header, junit);
  if (r.summary.interrupted) return 128 + signals.signal();
  return exit_status(r);
}

constexpr const char* kMergeUsage = R"(Usage: bb-crashcheck merge [options] REPORT.json...

Merges the JSON reports of the N shards of one run (bb-crashcheck --shard
K/N --json, in any order) into the report one run would have given: every
state in log order with its verdict, the counts, the first failure (its kept
images are where its shard left them). Refuses reports of different logs
(by content), options or bb-crashcheck versions, and a set that is not
every shard exactly once. Exit status as a run's: 0 every state passed,
1 a state failed, 2 usage error or refused reports.

Example:
  bb-crashcheck merge --junit results.xml shard-1.json shard-2.json shard-3.json

Options)";

int merge(int argc, char** argv) {
  po::options_description d(kMergeUsage);
  d.add_options()("json", "print the merged report as JSON")(
      "junit", po::value<std::string>()->value_name("FILE"), "also write a JUnit XML report")(
      "verbose,v", "print every check's output, not only failures'")(
      "quiet,q", "print only failures and the summary")("help,h", "show this help");
  po::options_description all;
  all.add(d).add_options()("report", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("report", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string("merge: ") + e.what());
  }
  if (vm.count("help") != 0) {
    std::cout << d << "\n";
    return 0;
  }
  if (vm.count("report") == 0) throw UsageError("merge: name the shard reports to merge");
  std::vector<NamedReport> reports;
  for (const std::string& path : vm["report"].as<std::vector<std::string>>()) {
    std::ifstream in(path);
    if (!in) bb::common::throw_errno("cannot read " + path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      reports.push_back({path, read_report(text)});
    } catch (const CheckerError& e) {
      throw CheckerError(path + ": " + e.what());
    }
  }
  Cli c;
  c.json = vm.count("json") != 0;
  c.quiet = vm.count("quiet") != 0;
  c.options.verbose = vm.count("verbose") != 0;
  std::ofstream junit;
  if (vm.count("junit") != 0) {
    c.junit = vm["junit"].as<std::string>();
    junit.open(c.junit);
    if (!junit) bb::common::throw_errno("cannot write --junit " + c.junit);
  }
  const RunResult r = merge_reports(std::move(reports));
  bool header_done = false;
  const std::function<void()> header = [&] {
    if (header_done || c.quiet) return;
    header_done = true;
    std::cout << column_header();
  };
  print_report(r, c, &header, junit);
  return exit_status(r);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string_view(argv[1]) == "merge") return merge(argc - 1, argv + 1);
    bool exit_now = false;
    Cli c = parse(argc, argv, exit_now);
    if (exit_now) return 0;
    return run(c);
  } catch (const UsageError& e) {
    std::cerr << "bb-crashcheck: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bb-crashcheck: " << e.what() << "\n";
    return 2;
  }
}
