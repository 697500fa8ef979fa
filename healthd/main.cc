// SPDX-License-Identifier: GPL-2.0-or-later
// bb-healthd: the health controller of blackbox's devices. See
// docs/bb-healthd.md.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "healthd/config.h"
#include "healthd/daemon.h"

namespace po = boost::program_options;
using namespace bb::healthd;

namespace {

constexpr const char* kUsage = R"(Usage: bb-healthd [options] [device...]

Watch every bb-mirror and bb-log-writes device (or the devices named): read
each mirror leg with O_DIRECT every probe_interval, fail a leg whose probe
times out or fails (fail_leg), re-add it after readd_after_good_probes good
probes (readd_leg), watch its resync to the end, report a stalled resync and
a bb-log-writes log that fills up or fails; at most action_limit_max
automatic actions per device in action_limit_period. Logs go to
<log_dir>/bb-healthd-YYYYMMDDHHmm.out and to stderr. SIGTERM ends, SIGHUP
rereads the configuration.

Exit status: 0 after SIGTERM/SIGINT, 1 if it cannot start or run, 2 for a
bad option or configuration.

Options)";

}  // namespace

int main(int argc, char** argv) {
  po::options_description visible(kUsage);
  visible.add_options()("help,h", "print this help and exit")(
      "config,c", po::value<std::string>(),
      "configuration file (default /etc/blackbox/healthd.conf; may be absent)")(
      "check-config", "read the configuration, print the effective one and exit (2 if bad)");
  po::options_description hidden;
  hidden.add_options()("device", po::value<std::vector<std::string>>(), "");
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("device", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "bb-healthd: " << e.what() << "\nTry 'bb-healthd --help'.\n";
    return 2;
  }
  if (vm.count("help") != 0) {
    std::cout << visible << "\n";
    return 0;
  }
  DaemonOptions options;
  options.config_path =
      vm.count("config") != 0 ? vm["config"].as<std::string>() : kDefaultConfigPath;
  options.config_missing_ok = vm.count("config") == 0;
  if (vm.count("device") != 0) options.names = vm["device"].as<std::vector<std::string>>();
  Config config;
  try {
    config = load_config(options.config_path, options.config_missing_ok);
  } catch (const ConfigError& e) {
    std::cerr << "bb-healthd: bad configuration: " << e.what() << "\n";
    return 2;
  }
  if (vm.count("check-config") != 0) {
    for (const std::string& line : describe(config)) std::cout << line << "\n";
    return 0;
  }
  return run_daemon(options, config);
}
