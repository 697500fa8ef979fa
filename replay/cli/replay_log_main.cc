// SPDX-License-Identifier: GPL-2.0-or-later
// replay-log: replays, searches and decodes dm-log-writes logs. A drop-in
// for the upstream/xfstests tool of the same name (same options, same
// output where scripts parse it), built on the bb_replay engine and its
// cached index. See docs/replay-log.md.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "engine/log_stats.h"
#include "engine/progress.h"
#include "engine/replay_engine.h"
#include "engine/replay_error.h"
#include "format/log_dump.h"
#include "format/log_error.h"
#include "format/log_group.h"

namespace po = boost::program_options;
using namespace bb::logwrites;
using bb::replay::LogSession;
using bb::replay::ProgressBar;
using bb::replay::ReplayError;
using bb::replay::ReplayOptions;
using bb::replay::ReplayTarget;

namespace {

constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();
// Upstream truncates mark arguments to 4097 - sizeof(entry header) bytes.
constexpr size_t kMaxMarkArg = 4097 - kEntryHeaderBytes;

constexpr const char* kExamples = R"(Examples:
  replay-log --log /dev/sdc                                 # Log version=1, sectorsize=512, entries=N
  replay-log --log /dev/sdc --find --end-mark mkfs          # entry number of mark "mkfs": N@pos
  replay-log --log /dev/sdc --replay /dev/sdb --end-mark mkfs
  replay-log --log /dev/sdc --find --next-fua --start-entry 100
  replay-log -vv --log /dev/sdc --replay /dev/sdb --limit 501
  replay-log --log /dev/sdc --replay /dev/sdb --check fua --fsck "btrfs check /dev/sdb"
  replay-log --log log.img --dump            # one line per entry (see docs/replay-log.md)
  replay-log --log log.img --stats --json
  replay-log --group data.log=/dev/sdb --group xlog.log=/dev/sdc --end-mark quiesced
                                             # a recording group, each log onto its target
  replay-log --group data.log --group xlog.log --dump      # the group's global order
  replay-log --group data.log --group xlog.log --find --end-mark quiesced
Exit status: 0 success (or end of log reached), 1 any error.
)";

// Exit with status 1 after a message on stderr.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct GroupArg {
  std::string log;
  std::optional<std::string> target;
};

struct Args {
  std::string log;
  std::vector<GroupArg> group;
  std::optional<uint64_t> limit_seq;
  bool v1_only = false;
  std::optional<std::string> replay;
  uint64_t limit = 0;
  uint64_t stop_flags = 0;
  uint64_t start_entry = 0;
  std::optional<std::string> start_mark;
  std::optional<std::string> end_mark;
  bool find = false;
  bool num_entries = false;
  bool discard = true;
  std::optional<std::string> fsck;
  std::optional<std::string> check;
  uint64_t check_every = 0;
  uint64_t check_flags = 0;
  uint64_t start_sector = 0;
  uint64_t end_sector = kNoLimit;
  int verbose = 0;
  bool dump = false;
  bool stats = false;
  bool json = false;
  bool scan_past_end = false;
  std::optional<std::string> index;
  bool no_index = false;
  bool verify_index = false;
  bool progress = true;
};

po::options_description visible_options() {
  po::options_description d("Options");
  d.add_options()("log", po::value<std::string>()->value_name("FILE"),
                  "log file or device to read (required, or --group)")(
      "group", po::value<std::vector<std::string>>()->value_name("LOG[=DEV]"),
      "one log of a recording group (repeat for each device), replayed onto DEV: the stop "
      "options then count in the group's global order (see docs/replay-log.md)")(
      "limit-seq", po::value<std::string>()->value_name("S"),
      "with --group: stop after the entry of group sequence S (every entry numbered <= S)")(
      "v1-only",
      "read as upstream v1 readers do: ignore group tags, do not check header "
      "padding (implies --no-index)")("replay", po::value<std::string>()->value_name("DEV"),
                                      "replay onto this existing file or block device")(
      "limit", po::value<std::string>()->value_name("N"),
      "stop after N entries counted from the start point")(
      "next-flush", "stop after (or --find) the next FLUSH entry")(
      "next-fua", "stop after (or --find) the next FUA entry")(
      "start-entry", po::value<std::string>()->value_name("N"),
      "start at entry N (0-based); --start also works")(
      "start-mark", po::value<std::string>()->value_name("MARK"), "start just after the mark MARK")(
      "end-mark", po::value<std::string>()->value_name("MARK"),
      "stop after (or --find) the mark MARK; missing mark is an error")(
      "find", "print the stop entry as ENTRY@POS instead of replaying")(
      "num-entries", "print the superblock's entry count")("no-discard",
                                                           "do not apply DISCARD entries")(
      "fsck", po::value<std::string>()->value_name("CMD"),
      "run CMD (via sh -c) at each --check point; failure stops with exit 1")(
      "check", po::value<std::string>()->value_name("N|flush|fua|discard"),
      "when to run --fsck: every N entries or after each FLUSH/FUA/DISCARD")(
      "start-sector", po::value<std::string>()->value_name("S"),
      "replay only entries overlapping sectors [S, end-sector]")(
      "end-sector", po::value<std::string>()->value_name("E"), "see --start-sector")(
      "verbose,v", "print replayed entries; -vv also skipped entries and seeks")(
      "dump", "decode every entry, one line each (stable format)")(
      "stats", "print statistics of the log")("json", "with --dump or --stats: print JSON")(
      "scan-past-end",
      "read past the superblock's entry count up to the first implausible header (stale "
      "superblock)")("index", po::value<std::string>()->value_name("FILE"),
                     "index file to use instead of <log>.bbidx / the cache folder")(
      "no-index", "do not read or write an index file (scan the log every time)")(
      "verify-index", "check every header against a cached index, not a sample")(
      "no-progress", "never show a progress bar")("help,h", "show this help");
  return d;
}

[[noreturn]] void usage(const std::string& error) {
  if (!error.empty()) fmt::print(stderr, "replay-log: {}\n", error);
  std::cerr << "Usage: replay-log --log <logfile> [options]\n"
               "       replay-log --group <log>[=<dev>] --group ... [options]\n"
            << visible_options() << kExamples;
  std::exit(1);
}

std::optional<uint64_t> parse_u64(const std::string& text) {
  if (text.empty() || text[0] == '-' || text[0] == '+' || text[0] == ' ') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 0);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

uint64_t number_or_fail(const std::string& text, const char* message) {
  auto v = parse_u64(text);
  if (!v) throw Failure(message);
  return *v;
}

// Counts -v/--verbose occurrences (boost does not count flags) and removes them.
int take_verbosity(po::parsed_options& parsed) {
  int count = 0;
  std::erase_if(parsed.options, [&](const po::option& o) {
    bool v = o.string_key == "verbose";
    count += v ? 1 : 0;
    return v;
  });
  return count;
}

Args parse_args(int argc, char** argv) {
  po::options_description all = visible_options();
  all.add_options()("start", po::value<std::string>(), "alias of --start-entry");
  po::variables_map vm;
  int verbose = 0;
  try {
    auto parsed = po::command_line_parser(argc, argv).options(all).run();
    verbose = take_verbosity(parsed);
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    usage(e.what());
  }
  if (vm.count("help") != 0) {
    std::cout << "Usage: replay-log --log <logfile> [options]\n"
                 "       replay-log --group <log>[=<dev>] --group ... [options]\n"
              << visible_options() << kExamples;
    std::exit(0);
  }
  Args a;
  a.verbose = verbose;
  if (vm.count("group") != 0) {
    if (vm.count("log") != 0) usage("--log and --group exclude each other");
    for (const auto& g : vm["group"].as<std::vector<std::string>>()) {
      auto eq = g.find('=');
      GroupArg ga{g.substr(0, eq), std::nullopt};
      if (eq != std::string::npos) ga.target = g.substr(eq + 1);
      if (ga.log.empty() || (ga.target && ga.target->empty()))
        usage("--group takes LOG or LOG=DEV");
      a.group.push_back(ga);
    }
    for (const char* o : {"replay", "start-entry", "start", "start-mark", "fsck", "check",
                          "start-sector", "end-sector", "stats", "json", "index"}) {
      if (vm.count(o) != 0) usage(fmt::format("--{} does not work with --group (yet)", o));
    }
  } else if (vm.count("log") == 0) {
    usage("--log is required");
  } else {
    a.log = vm["log"].as<std::string>();
    if (vm.count("limit-seq") != 0) usage("--limit-seq needs --group");
  }
  a.v1_only = vm.count("v1-only") != 0;
  if (a.v1_only && !a.group.empty()) usage("--v1-only does not work with --group");
  auto str = [&](const char* name) -> std::optional<std::string> {
    if (vm.count(name) == 0) return std::nullopt;
    return vm[name].as<std::string>();
  };
  a.replay = str("replay");
  if (auto v = str("limit-seq")) a.limit_seq = number_or_fail(*v, "Invalid sequence number");
  if (auto v = str("limit")) a.limit = number_or_fail(*v, "Invalid entry number");
  if (vm.count("next-flush") != 0) a.stop_flags |= kFlagFlush;
  if (vm.count("next-fua") != 0) a.stop_flags |= kFlagFua;
  if (vm.count("start-entry") != 0 && vm.count("start") != 0)
    usage("--start and --start-entry given together");
  if (auto v = str("start-entry") ? str("start-entry") : str("start")) {
    a.start_entry = number_or_fail(*v, "Invalid entry number");
  }
  if (auto v = str("start-mark")) a.start_mark = v->substr(0, kMaxMarkArg);
  if (auto v = str("end-mark")) a.end_mark = v->substr(0, kMaxMarkArg);
  a.find = vm.count("find") != 0;
  a.num_entries = vm.count("num-entries") != 0;
  a.discard = vm.count("no-discard") == 0;
  a.fsck = str("fsck");
  a.check = str("check");
  if (a.check) {
    if (*a.check == "flush") {
      a.check_flags = kFlagFlush;
    } else if (*a.check == "fua") {
      a.check_flags = kFlagFua;
    } else if (*a.check == "discard") {
      a.check_flags = kFlagDiscard;
    } else {
      a.check_every = number_or_fail(*a.check, "Invalid entry number");
      if (a.check_every == 0) throw Failure("Invalid entry number: --check 0 would never check");
    }
  }
  if (a.fsck.has_value() != a.check.has_value()) usage("--fsck and --check must be given together");
  if (auto v = str("start-sector")) a.start_sector = number_or_fail(*v, "Invalid sector number");
  if (auto v = str("end-sector")) a.end_sector = number_or_fail(*v, "Invalid sector number");
  a.dump = vm.count("dump") != 0;
  a.stats = vm.count("stats") != 0;
  a.json = vm.count("json") != 0;
  if (a.json && !a.dump && !a.stats) usage("--json needs --dump or --stats");
  a.scan_past_end = vm.count("scan-past-end") != 0;
  a.index = str("index");
  a.no_index = vm.count("no-index") != 0 || a.v1_only;
  a.verify_index = vm.count("verify-index") != 0;
  a.progress = vm.count("no-progress") == 0 && ProgressBar::stderr_is_tty();
  return a;
}

void note_scan_stop(const std::optional<ScanStop>& stop, uint64_t superblock_entries) {
  if (!stop) return;
  fmt::print(stderr,
             "replay-log: read past the superblock's count of {} entries: {} entries in all, "
             "stopped at log offset "
             "{}: {}\n",
             superblock_entries, stop->entry, stop->offset, stop->reason);
}

int run_dump(const Args& a) {
  FileLogSource source(a.log);
  auto format = a.json ? DumpFormat::kJson : DumpFormat::kText;
  std::optional<LogReader> reader;
  try {
    reader.emplace(source, ReaderOptions{a.scan_past_end, a.v1_only});
  } catch (const LogError& err) {
    dump_superblock_error(err, stdout, format);
    throw;
  }
  auto error = dump_log(*reader, stdout, format);
  std::fflush(stdout);
  note_scan_stop(reader->scan_stop(), reader->superblock().nr_entries);
  if (error) throw LogError(*error);
  return 0;
}

// Runs the check command after the target was fsync()ed; throws on failure.
void run_fsck(const std::string& command, uint64_t entry) {
  std::fflush(stdout);
  int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Failure(fmt::format("Fsck errored out on entry {}", entry));
  }
}

// The last entry to process: the first of the requested stop conditions
// (limit, next FLUSH/FUA, end mark) that occurs; they combine.
struct StopPoint {
  std::optional<uint64_t> entry;
  bool requested = false;
};

StopPoint find_stop(const Args& a, const LogSession& log, uint64_t start) {
  const LogIndex& index = log.index();
  StopPoint stop;
  auto consider = [&](std::optional<uint64_t> e) {
    if (e && (!stop.entry || *e < *stop.entry)) stop.entry = e;
  };
  if (a.limit > 0) {
    stop.requested = true;
    if (index.size() > start && a.limit - 1 < index.size() - start) consider(start + a.limit - 1);
  }
  if (a.stop_flags != 0) {
    stop.requested = true;
    consider(index.next_with_flags(a.stop_flags, start));
  }
  if (a.end_mark) {
    stop.requested = true;
    auto mark = index.find_mark(*a.end_mark, start);
    if (!mark) {
      if (index.tail_error()) throw index.tail_error()->error();
      throw Failure(fmt::format("mark '{}' does not exist{}", *a.end_mark,
                                start > 0 ? fmt::format(" after entry {}", start) : std::string()));
    }
    consider(mark);
  }
  return stop;
}

uint64_t find_start(const Args& a, const LogSession& log) {
  const LogIndex& index = log.index();
  if (a.start_mark) {
    auto mark = index.find_mark(*a.start_mark);
    if (!mark) {
      if (index.tail_error()) throw index.tail_error()->error();
      throw Failure(fmt::format("Couldn't find starting mark '{}'", *a.start_mark));
    }
    if (a.verbose > 1) fmt::print("seek entry {} (after mark) via index\n", *mark + 1);
    return *mark + 1;
  }
  if (a.start_entry >= index.size() && !(a.start_entry == 0 && index.size() == 0)) {
    if (index.tail_error() && a.start_entry >= index.size()) throw index.tail_error()->error();
    throw Failure(
        fmt::format("Invalid entry number: {} (log has {} entries)", a.start_entry, index.size()));
  }
  if (a.verbose > 1 && a.start_entry > 0) fmt::print("seek entry {} via index\n", a.start_entry);
  return a.start_entry;
}

bb::replay::SessionOptions session_options(const Args& a) {
  bb::replay::SessionOptions so;
  so.reader.scan_past_end = a.scan_past_end;
  so.reader.v1_only = a.v1_only;
  so.index.use_cache = !a.no_index;
  so.index.index_path = a.index;
  so.index.full_verify = a.verify_index;
  return so;
}

// --group: the logs of a recording group, in their global order.
int run_group(const Args& a) {
  bb::replay::SessionOptions so = session_options(a);
  std::vector<std::unique_ptr<LogSession>> logs;
  std::vector<GroupDevice> devices;
  for (const GroupArg& g : a.group) {
    logs.push_back(std::make_unique<LogSession>(g.log, so));
    const LogIndex& index = logs.back()->index();
    if (a.verbose > 0 && !logs.back()->cached_index().note.empty())
      fmt::print(stderr, "replay-log: {}: {}\n", g.log, logs.back()->cached_index().note);
    note_scan_stop(index.scan_stop(), index.superblock_entries());
    if (const auto& t = index.tail_error()) {
      fmt::print(stderr, "replay-log: {}: the log is read up to entry {}: {}\n", g.log, t->entry,
                 t->detail);
    }
    devices.push_back(GroupDevice{g.log, &index});
  }
  LogGroup group(devices);

  if (a.dump) {
    fmt::print("group id=0x{:016x} devices={} entries={}\n", group.group_id(), group.device_count(),
               group.size());
    for (size_t d = 0; d < group.device_count(); ++d) {
      fmt::print("device {} index={} entries={} log={}\n", d, group.device_index(d),
                 group.device(d).index->size(), quote_mark(group.device(d).name));
    }
    for (size_t k = 0; k < group.size(); ++k) {
      const GroupEntry& g = group.order()[k];
      const IndexedEntry& e = group.entry(k);
      fmt::print("position={} seq={} device={} entry={} sector={} nr_sectors={} flags=0x{:x}({})",
                 k, g.seq, g.device, g.entry, e.sector, e.nr_sectors, e.flags,
                 flags_to_string(e.flags));
      if (const std::string* text = group.mark_text(k)) fmt::print(" mark={}", quote_mark(*text));
      fmt::print("\n");
    }
    fmt::print(
        "end entries={}{}\n", group.size(),
        group.complete() ? "" : fmt::format(" whole_through_seq={}", group.complete_through()));
    return 0;
  }
  if (a.num_entries) {
    fmt::print("{}\n", group.size());
    return 0;
  }

  // The stop point: the first of the requested conditions, in global order.
  std::optional<size_t> stop;
  auto consider = [&](std::optional<size_t> p) {
    if (p && (!stop || *p < *stop)) stop = p;
  };
  if (a.limit > 0 && a.limit <= group.size()) consider(a.limit - 1);
  if (a.limit_seq) {
    auto p = group.position_at_seq(*a.limit_seq);
    if (!p) throw Failure(fmt::format("no entry has a group sequence <= {}", *a.limit_seq));
    consider(p);
  }
  if (a.stop_flags != 0) consider(group.next_with_flags(a.stop_flags, 0));
  if (a.end_mark) {
    auto m = group.find_mark(*a.end_mark);
    if (!m) throw Failure(fmt::format("mark '{}' does not exist in the group", *a.end_mark));
    consider(m);
  }
  if (a.find) {
    if (!stop) throw Failure("Couldn't find entry");
    const GroupEntry& g = group.order()[*stop];
    fmt::print("position={} seq={} device={} entry={}\n", *stop, g.seq, g.device, g.entry);
    auto counts = group.prefix(*stop);
    for (size_t d = 0; d < counts.size(); ++d)
      fmt::print("device {} entries={} log={}\n", d, counts[d], quote_mark(group.device(d).name));
    return 0;
  }
  bool any_target = false;
  for (const GroupArg& g : a.group) any_target = any_target || g.target.has_value();
  if (!any_target) {
    fmt::print("Group id=0x{:016x}, devices={}, entries={}\n", group.group_id(),
               group.device_count(), group.size());
    return 0;
  }
  for (const GroupArg& g : a.group) {
    if (!g.target) throw Failure(fmt::format("{}: no target: give every log as LOG=DEV", g.log));
  }
  uint64_t stop_seq =
      stop ? group.order()[*stop].seq : (group.size() > 0 ? group.order().back().seq : 0);
  if (stop_seq > group.complete_through()) {
    fmt::print(stderr,
               "replay-log: warning: a log of the group lacks its end mark: the global order is "
               "whole only up to sequence {}, the replay goes to {}\n",
               group.complete_through(), stop_seq);
  }
  std::vector<uint64_t> counts;
  if (stop) {
    counts = group.prefix(*stop);
  } else {
    for (const auto& log : logs) counts.push_back(log->entry_count());
  }
  for (size_t d = 0; d < logs.size(); ++d) {
    ReplayTarget target(*a.group[d].target);
    ReplayOptions ro;
    ro.apply_discards = a.discard;
    ro.verbose = a.verbose;
    if (a.verbose > 0) {
      fmt::print("device {}: {} entries of {} onto {}\n", d, counts[d], a.group[d].log,
                 *a.group[d].target);
    }
    if (counts[d] > 0) logs[d]->replay(target, 0, counts[d] - 1, ro);
    target.sync();
  }
  std::fflush(stdout);
  return 0;
}

int run(const Args& a) {
  if (!a.group.empty()) return run_group(a);
  if (a.dump) return run_dump(a);

  bb::replay::SessionOptions so = session_options(a);
  std::optional<ProgressBar> index_bar;
  if (a.progress) {
    index_bar.emplace("indexing", 0, true);
    so.index.progress = [&](uint64_t n, uint64_t) { index_bar->update(n, 0); };
  }
  LogSession log(a.log, so);
  index_bar.reset();
  const LogIndex& index = log.index();
  if (a.verbose > 0 && !log.cached_index().note.empty())
    fmt::print(stderr, "replay-log: {}\n", log.cached_index().note);
  note_scan_stop(index.scan_stop(), index.superblock_entries());

  if (a.stats) {
    print_stats(bb::replay::compute_stats(index), stdout, a.json);
    return index.tail_error() ? 1 : 0;
  }

  uint64_t start = find_start(a, log);
  StopPoint stop = find_stop(a, log, start);

  if (a.find) {
    if (!stop.entry) {
      if (index.tail_error()) throw index.tail_error()->error();
      throw Failure("Couldn't find entry");
    }
    fmt::print("{}@{}\n", *stop.entry, index.end_offset(*stop.entry) / index.sectorsize());
    return 0;
  }
  if (a.num_entries) {
    fmt::print("{}\n", index.superblock_entries());
    return 0;
  }
  if (!a.replay) {
    fmt::print("Log version={}, sectorsize={}, entries={}\n", kVersion, index.sectorsize(),
               index.superblock_entries());
    return 0;
  }

  ReplayTarget target(*a.replay);
  ReplayOptions ro;
  ro.apply_discards = a.discard;
  ro.start_sector = a.start_sector;
  ro.end_sector = a.end_sector;
  ro.verbose = a.verbose;
  if (a.fsck) {
    ro.is_checkpoint = [&](uint64_t i, const IndexedEntry& e) {
      if (a.check_every > 0) return (i - start + 1) % a.check_every == 0;
      return (e.flags & a.check_flags) != 0;
    };
    ro.on_checkpoint = [&](uint64_t i) { run_fsck(*a.fsck, i); };
  }
  uint64_t last = stop.entry.value_or(kNoLimit);
  uint64_t total = std::min<uint64_t>(last, index.size() == 0 ? 0 : index.size() - 1) - start + 1;
  std::optional<ProgressBar> bar;
  if (a.progress) {
    bar.emplace("replaying", total, true);
    ro.progress = [&](uint64_t n, uint64_t bytes) { bar->update(n, bytes); };
  }
  std::optional<std::exception_ptr> failure;
  try {
    if (index.size() > 0) log.replay(target, start, last, ro);
  } catch (...) {
    failure = std::current_exception();
  }
  bar.reset();
  target.sync();
  std::fflush(stdout);
  if (failure) std::rethrow_exception(*failure);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args = parse_args(argc, argv);
    return run(args);
  } catch (const Failure& e) {
    std::fflush(stdout);
    fmt::print(stderr, "replay-log: {}\n", e.what());
  } catch (const LogError& e) {
    std::fflush(stdout);
    fmt::print(stderr, "replay-log: {}\n", e.what());
  } catch (const GroupError& e) {
    std::fflush(stdout);
    fmt::print(stderr, "replay-log: {}\n", e.what());
  } catch (const ReplayError& e) {
    std::fflush(stdout);
    fmt::print(stderr, "replay-log: {}\n", e.what());
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "replay-log: {}\n", e.what());
  }
  return 1;
}
