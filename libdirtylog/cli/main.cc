// SPDX-License-Identifier: GPL-2.0-or-later
// dirtylog: create, inspect and dump the kernel's disk dirty-region logs
// (the `disk` log of the device-mapper mirror target) on files and block
// devices. See docs/dirtylog.md.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <boost/program_options.hpp>

#include "cli/log_report.h"
#include "cli/mirror_check.h"
#include "error.h"
#include "table_params.h"

namespace po = boost::program_options;
using namespace bb::dirtylog;

namespace {

constexpr const char* kUsage = R"(Usage: dirtylog <command> [options] <log>
       dirtylog check-mirror --log LOG --region-size R [options] LEG LEG...

Create, inspect and dump a device-mapper `disk` dirty-region log (magic MiRr,
version 2, clean bitmap at byte 1024) on a block device or an image file.

Commands:
  create    write a new log: every region clean except --dirty ones
  inspect   header, sync count, dirty regions as ranges
  dump      one line per run of clean or dirty regions
  check-mirror
            the mirror invariant: every region whose legs differ is out of
            sync in the log (exit 0 holds, 1 broken, 2 cannot check)

Run `dirtylog <command> --help` for its options.

Examples:
  dirtylog create /dev/vdc --device-sectors 2097152 --region-size 1024 --dirty 3,10-12
  dirtylog create log.img --regions 64 --dirty 0-7 --force
  dirtylog inspect /dev/vdc --region-size 1024
  dirtylog inspect log.img --json
  dirtylog dump /dev/vdc --region-size 1024
  dirtylog check-mirror --log log.img --region-size 1024 leg0.img leg1.img

Exit status: 0 on success, 1 when the log is invalid or an operation
failed, 2 on a usage error. check-mirror: 0 the invariant holds, 1 it is
broken, 2 usage error or input it cannot check.
)";

struct Command {
  std::string name;
  po::options_description options;
  std::vector<std::string> examples;
};

po::options_description common_options() {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")(
      "block-size", po::value<size_t>()->default_value(512),
      "logical block size assumed for image files (block devices report theirs)");
  return options;
}

Command create_command() {
  Command command{"create", common_options(), {}};
  command.options.add_options()("regions", po::value<uint64_t>(), "number of regions")(
      "device-sectors", po::value<uint64_t>(),
      "mirror length in 512-byte sectors (with --region-size)")(
      "region-size", po::value<std::string>(), "region size in sectors, a power of two")(
      "dirty", po::value<std::string>()->default_value(""),
      "regions to mark dirty (out of sync), e.g. 1-3,7")(
      "force", "overwrite a device that already holds data");
  command.examples = {
      "dirtylog create /dev/vdc --device-sectors 131072 --region-size 1024 --dirty 2,5",
      "dirtylog create log.img --regions 100 --dirty 0-9 --force"};
  return command;
}

Command inspect_command(const std::string& name) {
  Command command{name, common_options(), {}};
  command.options.add_options()("region-size", po::value<std::string>(),
                                "region size in sectors (not stored in the log)")(
      "device-sectors", po::value<uint64_t>(), "mirror length: check the region count against it")(
      "json", "machine-readable output");
  command.examples = {fmt::format("dirtylog {} /dev/vdc --region-size 1024", name),
                      fmt::format("dirtylog {} log.img --json", name)};
  return command;
}

Command check_mirror_command() {
  Command command{"check-mirror", common_options(), {}};
  command.options.add_options()("log", po::value<std::string>(), "the disk log (device or image)")(
      "region-size", po::value<std::string>(), "the mirror's region size in sectors")(
      "mirror-sectors", po::value<uint64_t>(), "the mirror's length (default: the legs' length)")(
      "max-regions", po::value<size_t>()->default_value(10), "broken regions to name at most")(
      "json", "machine-readable output");
  command.examples = {
      "dirtylog check-mirror --log /dev/vdd --region-size 1024 /dev/vdb /dev/vdc",
      "bb-crashcheck --group l0.img=a --group l1.img=b --group l2.img=log \\\n"
      "      --check-cmd 'dirtylog check-mirror --log {image:log} --region-size 1024 {image:a} "
      "{image:b}'"};
  return command;
}

void print_help(const Command& command) {
  const auto* const args = command.name == "check-mirror" ? "--log LOG LEG LEG..." : "<log>";
  std::cout << fmt::format("Usage: dirtylog {} [options] {}\n\n", command.name, args)
            << command.options << "\nExamples:\n";
  for (const auto& example : command.examples) std::cout << "  " << example << "\n";
}

uint32_t region_size_option(const po::variables_map& vm, uint64_t length) {
  return parse_region_size(vm["region-size"].as<std::string>(), length);
}

int run_create(const po::variables_map& vm, const std::string& path) {
  cli::CreateOptions options;
  if (vm.count("regions") != 0) {
    options.regions = vm["regions"].as<uint64_t>();
  } else if (vm.count("device-sectors") != 0 && vm.count("region-size") != 0) {
    const auto length = vm["device-sectors"].as<uint64_t>();
    options.regions = region_count_for(length, region_size_option(vm, length));
  } else {
    throw Error(EINVAL, "create needs --regions, or --device-sectors with --region-size");
  }
  options.dirty = cli::parse_region_list(vm["dirty"].as<std::string>());
  options.force = vm.count("force") != 0;
  disk::OpenOptions open;
  open.file_block_size = vm["block-size"].as<size_t>();
  open.create_size = disk::buffer_size(options.regions, open.file_block_size);
  auto store = disk::open_log_device(path, open);
  cli::create_log(*store, options);
  std::cout << fmt::format("created {}: {} regions, {} dirty\n", path, options.regions, [&] {
    uint64_t dirty = 0;
    for (const auto& [first, last] : options.dirty) dirty += last - first + 1;
    return dirty;
  }());
  return 0;
}

int run_report(const po::variables_map& vm, const std::string& command, const std::string& path) {
  disk::OpenOptions open;
  open.writable = false;
  open.file_block_size = vm["block-size"].as<size_t>();
  auto store = disk::open_log_device(path, open);
  cli::ReportOptions options;
  if (vm.count("region-size") != 0) options.region_size = region_size_option(vm, UINT64_MAX);
  if (vm.count("device-sectors") != 0) options.device_sectors = vm["device-sectors"].as<uint64_t>();
  const auto report = cli::read_report(*store, options);
  if (vm.count("json") != 0) {
    std::cout << cli::report_json(report);
  } else if (command == "dump") {
    std::cout << cli::dump_text(report);
  } else {
    std::cout << cli::report_text(report);
  }
  if (!report.valid()) {
    std::cerr << fmt::format("dirtylog: {}: {}\n", path, report.problem);
    return 1;
  }
  return 0;
}

// Exit 0 holds, 1 broken, 2 usage or input it cannot check (so a checker
// running it per crash point can tell a broken mirror from a broken setup).
int run_check_mirror(const std::vector<std::string>& args) {
  const Command command = check_mirror_command();
  po::options_description all;
  all.add(command.options).add_options()("leg", po::value<std::vector<std::string>>(), "a leg");
  po::positional_options_description positional;
  positional.add("leg", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  po::notify(vm);
  if (vm.count("help") != 0) {
    print_help(command);
    return 0;
  }
  if (vm.count("log") == 0 || vm.count("region-size") == 0 || vm.count("leg") == 0) {
    std::cerr << "dirtylog check-mirror: needs --log, --region-size and the legs\n";
    print_help(command);
    return 2;
  }
  try {
    cli::MirrorCheckOptions options;
    options.region_size = region_size_option(vm, UINT64_MAX);
    if (vm.count("mirror-sectors") != 0)
      options.mirror_sectors = vm["mirror-sectors"].as<uint64_t>();
    options.max_listed = vm["max-regions"].as<size_t>();
    disk::OpenOptions open;
    open.writable = false;
    open.file_block_size = vm["block-size"].as<size_t>();
    auto log = disk::open_log_device(vm["log"].as<std::string>(), open);
    const auto check = cli::check_mirror(*log, vm["leg"].as<std::vector<std::string>>(), options);
    std::cout << (vm.count("json") != 0 ? cli::mirror_check_json(check)
                                        : cli::mirror_check_text(check));
    return check.holds() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "dirtylog check-mirror: " << e.what() << "\n";
    return 2;
  }
}

int run(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const auto& name = args[0];
  if (name == "check-mirror")
    return run_check_mirror(std::vector<std::string>(args.begin() + 1, args.end()));
  if (name != "create" && name != "inspect" && name != "dump") {
    std::cerr << fmt::format("dirtylog: unknown command '{}'\n\n{}", name, kUsage);
    return 2;
  }
  const Command command = name == "create" ? create_command() : inspect_command(name);
  po::options_description all;
  all.add(command.options).add_options()("log", po::value<std::string>(), "log device or file");
  po::positional_options_description positional;
  positional.add("log", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(std::vector<std::string>(args.begin() + 1, args.end()))
                .options(all)
                .positional(positional)
                .run(),
            vm);
  po::notify(vm);
  if (vm.count("help") != 0) {
    print_help(command);
    return 0;
  }
  if (vm.count("log") == 0) {
    std::cerr << fmt::format("dirtylog {}: missing <log>\n", name);
    print_help(command);
    return 2;
  }
  const auto path = vm["log"].as<std::string>();
  return name == "create" ? run_create(vm, path) : run_report(vm, name, path);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const po::error& e) {
    std::cerr << "dirtylog: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "dirtylog: " << e.what() << "\n";
    return 1;
  }
}
