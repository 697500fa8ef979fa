// SPDX-License-Identifier: GPL-2.0-or-later
// bbctl: the operator's command for blackbox devices. `bbctl events`
// streams device, leg, resync and log state changes from device-mapper
// events; `bbctl log` turns the targets' kernel log lines into a timeline
// per device. See docs/bbctl.md.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "bbctl/events.h"
#include "common/system_error.h"
#include "devmapper/devices.h"
#include "oplog/log_source.h"
#include "oplog/timeline.h"

namespace po = boost::program_options;

namespace {

constexpr int kUsageError = 2;
constexpr int kUnknownLines = 3;

constexpr const char* kUsage = R"(Usage: bbctl <command> [options]

Commands:
  events    stream the state of blackbox devices (device, leg, resync, log)
            as exists/create/change/destroy lines, woken by device-mapper events
  log       the kernel log lines of blackbox's targets as a timeline per device

Run `bbctl <command> --help` for its options. See docs/bbctl.md.

Exit status: 0 on success, 1 on an error, 2 on a usage error, 3 when
`bbctl log --strict` found lines that look like ours but are not in the
catalogue.
)";

constexpr const char* kEventsUsage = R"(Usage: bbctl events [options] [<device name>...]

Prints the current state of every bb-mirror and bb-log-writes device (or of
the ones named) as `exists` lines and `exists -`, then one line per change
as device-mapper events report them, until interrupted:

  exists device name:m0 dev:253:0 target:bb-mirror sectors:262144 legs:2 ...
  exists leg name:m0 leg:1 dev:254:32 state:current health:A
  exists resync name:m0 state:idle copied:0 remaining:0 in-sync:128 rate:0 source:0
  exists -
  change leg name:m0 leg:1 dev:254:32 state:failed health:D
  change resync name:m0 state:running ... done:40.0 eta:3

Options)";

constexpr const char* kLogUsage = R"(Usage: bbctl log [options] [<file>...]

Reads kernel log lines — from the kernel's ring buffer (/dev/kmsg, as dmesg
shows it: since the last `dmesg -C`) when no file is given, else from each
file ("-": standard input) holding `dmesg` output, `journalctl -k` output,
or `journalctl -k -o json` — and prints the lines of blackbox's targets as
a timeline per device: commands paired (one never done is flagged), every
state change with the states after it, resyncs with their ranges, time and
rate. Lines that look like ours but are not in the catalogue
(docs/operation-log.md) are listed at the end.

  bbctl log
  journalctl -k -b -1 -o json | bbctl log --json -
  bbctl log --device 253:0 console.log

Options)";

int usage_error(const std::string& what) {
  std::cerr << "bbctl: " << what << " (see bbctl --help)\n";
  return kUsageError;
}

// Parses a command's `args` into `vm`: its `options`, and any number of
// positional words as the list `positional`. Returns false after printing
// the help, when asked for.
bool parse(const std::vector<std::string>& args, const po::options_description& options,
           const char* positional, po::variables_map& vm) {
  po::options_description hidden;
  hidden.add_options()(positional, po::value<std::vector<std::string>>()->default_value({}, ""));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description words;
  words.add(positional, -1);
  po::store(po::command_line_parser(args).options(all).positional(words).run(), vm);
  if (vm.count("help") > 0) {
    std::cout << options << "\n";
    return false;
  }
  return true;
}

int events_command(const std::vector<std::string>& args) {
  po::options_description options(kEventsUsage);
  options.add_options()("help,h", "show this help")("now", "print the current state and exit")(
      "timestamps", "begin each line with the time (ISO 8601, microseconds)")(
      "json", "one JSON object per line instead of text");
  po::variables_map vm;
  if (!parse(args, options, "name", vm)) return 0;
  bb::bbctl::EventsOptions o;
  o.now = vm.count("now") > 0;
  o.format.json = vm.count("json") > 0;
  o.format.timestamps = vm.count("timestamps") > 0;
  o.names = vm["name"].as<std::vector<std::string>>();
  return bb::bbctl::run_events(o);
}

// A device given as major:minor, or as a name looked up now.
std::string device_id(const std::string& device) {
  if (device.find(':') != std::string::npos) return device;
  const auto info = bb::devmapper::info(device);
  if (!info.exists) throw std::runtime_error(fmt::format("no device-mapper device \"{}\"", device));
  return fmt::format("{}:{}", info.major, info.minor);
}

int log_command(const std::vector<std::string>& args) {
  po::options_description options(kLogUsage);
  options.add_options()("help,h", "show this help")("json", "one JSON document instead of text")(
      "device", po::value<std::string>()->default_value(""),
      "only this device: major:minor, or the name of a device that exists now")(
      "strict", "exit 3 if a line looks like ours but is not in the catalogue");
  po::variables_map vm;
  if (!parse(args, options, "file", vm)) return 0;
  const std::string device =
      vm["device"].as<std::string>().empty() ? "" : device_id(vm["device"].as<std::string>());
  std::vector<bb::oplog::Record> records;
  const auto files = vm["file"].as<std::vector<std::string>>();
  if (files.empty()) records = bb::oplog::read_kmsg();
  for (const auto& file : files) {
    std::vector<bb::oplog::Record> more;
    try {
      if (file == "-") {
        more = bb::oplog::read_records(std::cin);
      } else {
        std::ifstream in(file);
        if (!in) bb::common::throw_errno(fmt::format("cannot open {}", file));
        more = bb::oplog::read_records(in);
      }
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(
          fmt::format("{}: {}", file == "-" ? "standard input" : file, e.what()));
    }
    records.insert(records.end(), more.begin(), more.end());
  }
  const auto timeline = bb::oplog::build_timeline(records, device);
  std::cout << (vm.count("json") > 0 ? bb::oplog::timeline_json(timeline)
                                     : bb::oplog::timeline_text(timeline));
  std::cout.flush();
  if (!std::cout) throw std::runtime_error("cannot write the timeline");
  return vm.count("strict") > 0 && !timeline.unknown.empty() ? kUnknownLines : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return usage_error("a command is needed: events or log");
  const std::string& command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (command == "events") return events_command(rest);
    if (command == "log") return log_command(rest);
    return usage_error(fmt::format("unknown command \"{}\": expected events or log", command));
  } catch (const po::error& e) {
    return usage_error(fmt::format("{}: {}", command, e.what()));
  } catch (const std::exception& e) {
    std::cerr << "bbctl " << command << ": " << e.what() << "\n";
    return 1;
  }
}
