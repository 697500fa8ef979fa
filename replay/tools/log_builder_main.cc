// SPDX-License-Identifier: GPL-2.0-or-later
// bb-log-builder: makes a dm-log-writes v1 log from a small script, for
// tests, VM scenarios and benchmarks. One command per line ('#' comments):
//
//   write SECTOR NR_SECTORS BYTE|seq [fua] [meta] [flush]
//                          NR_SECTORS sectors of BYTE (0-255), or a
//                          deterministic pattern ("seq")
//   write-file SECTOR FILE [fua] [meta]    contents of FILE (zero-padded to a sector)
//   image FILE [CHUNK]     one write per CHUNK bytes (default 65536) of FILE
//                          that is not all zero, at FILE's offsets: the
//                          writes of e.g. an mkfs image
//   flush                  an empty flush entry
//   discard SECTOR NR_SECTORS
//   mark TEXT
//   repeat N write SECTOR NR_SECTORS BYTE|seq [flags]   N writes at consecutive positions
//   count N                superblock nr_entries to write at the end (default: all)
//
// Group logs (docs/log-format.md "Groups"): --group-id ID, and one --out
// per device (device index = position). Then also:
//   device N               later commands go to the log of device N (default 0)
//   seq S                  the next entry takes group sequence S (tests of
//                          bad orders; normally entries number themselves)
//   count N                applies to the current device
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "format/log_error.h"
#include "format/log_writer.h"

namespace po = boost::program_options;
using namespace bb::logwrites;

namespace {

constexpr const char* kHelp =
    R"(Usage: bb-log-builder --out LOG [--sectorsize N] [--super-padding X] [SCRIPT]
       bb-log-builder --group-id ID --out LOG0 --out LOG1 ... [SCRIPT]   (a group)
Reads the script from SCRIPT or stdin. Commands:
  write SECTOR NR_SECTORS BYTE|seq [fua] [meta] [flush]
  write-file SECTOR FILE [fua] [meta]
  image FILE [CHUNK_BYTES]
  flush | discard SECTOR NR_SECTORS | mark TEXT
  repeat N write SECTOR NR_SECTORS BYTE|seq [flags]
  count N
  device N | seq S                  (groups: current device; next entry's sequence)
Example:
  printf 'discard 0 2048\nwrite 0 8 0xab\nflush\nmark mkfs\n' | bb-log-builder --out t.log
)";

uint64_t flag_words(std::istringstream& in) {
  uint64_t flags = 0;
  for (std::string w; in >> w;) {
    if (w == "fua") {
      flags |= kFlagFua;
    } else if (w == "meta") {
      flags |= kFlagMetadata;
    } else if (w == "flush") {
      flags |= kFlagFlush;
    } else {
      throw std::runtime_error("unknown flag word: " + w);
    }
  }
  return flags;
}

std::vector<uint8_t> fill(uint64_t sector, uint64_t n, uint32_t ss, const std::string& how) {
  std::vector<uint8_t> data(n * ss);
  if (how == "seq") {
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = static_cast<uint8_t>(sector * 13 + i * 7 + (i >> 9));
  } else {
    std::fill(data.begin(), data.end(), static_cast<uint8_t>(std::stoul(how, nullptr, 0)));
  }
  return data;
}

void write_image(LogWriter& w, const std::string& path, uint64_t chunk) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  uint32_t ss = w.sectorsize();
  if (chunk == 0 || chunk % ss != 0)
    throw std::runtime_error("chunk must be a multiple of the sectorsize");
  std::vector<uint8_t> buf(chunk);
  for (uint64_t off = 0;; off += chunk) {
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(chunk));
    auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    size_t padded = (got + ss - 1) / ss * ss;
    std::fill(buf.begin() + static_cast<std::ptrdiff_t>(got),
              buf.begin() + static_cast<std::ptrdiff_t>(padded), 0);
    auto data = std::span(buf).first(padded);
    if (std::any_of(data.begin(), data.end(), [](uint8_t b) { return b != 0; }))
      w.write(off / ss, data);
    if (got < chunk) break;
  }
}

struct Device {
  std::unique_ptr<FileLogSink> sink;
  std::unique_ptr<LogWriter> writer;
  std::optional<uint64_t> count;
};

void run_line(std::vector<Device>& devices, size_t& current, const std::string& line) {
  std::istringstream in(line);
  std::string cmd;
  if (!(in >> cmd) || cmd[0] == '#') return;
  LogWriter& w = *devices[current].writer;
  std::optional<uint64_t>& count = devices[current].count;
  uint32_t ss = w.sectorsize();
  if (cmd == "device") {
    size_t n = 0;
    if (!(in >> n) || n >= devices.size())
      throw std::runtime_error("usage: device N (0 to the number of --out - 1)");
    current = n;
    return;
  }
  if (cmd == "seq") {
    uint64_t seq = 0;
    if (!(in >> seq)) throw std::runtime_error("usage: seq S");
    w.set_next_seq(seq);
    return;
  }
  if (cmd == "repeat") {
    uint64_t n = 0;
    std::string sub;
    uint64_t sector = 0;
    uint64_t nr = 0;
    std::string how;
    in >> n >> sub >> sector >> nr >> how;
    if (!in || sub != "write")
      throw std::runtime_error("usage: repeat N write SECTOR NR BYTE|seq [flags]");
    uint64_t flags = flag_words(in);
    for (uint64_t i = 0; i < n; ++i)
      w.write(sector + i * nr, fill(sector + i * nr, nr, ss, how), flags);
  } else if (cmd == "write") {
    uint64_t sector = 0;
    uint64_t nr = 0;
    std::string how;
    if (!(in >> sector >> nr >> how))
      throw std::runtime_error("usage: write SECTOR NR BYTE|seq [flags]");
    w.write(sector, fill(sector, nr, ss, how), flag_words(in));
  } else if (cmd == "write-file") {
    uint64_t sector = 0;
    std::string path;
    if (!(in >> sector >> path)) throw std::runtime_error("usage: write-file SECTOR FILE [flags]");
    std::ifstream f(path, std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
    data.resize((data.size() + ss - 1) / ss * ss);
    w.write(sector, data, flag_words(in));
  } else if (cmd == "image") {
    std::string path;
    uint64_t chunk = 65536;
    in >> path;
    if (!(in >> chunk)) chunk = 65536;
    write_image(w, path, chunk);
  } else if (cmd == "flush") {
    w.flush();
  } else if (cmd == "discard") {
    uint64_t sector = 0;
    uint64_t nr = 0;
    if (!(in >> sector >> nr)) throw std::runtime_error("usage: discard SECTOR NR");
    w.discard(sector, nr);
  } else if (cmd == "mark") {
    std::string text;
    if (!(in >> text)) throw std::runtime_error("usage: mark TEXT");
    w.mark(text);
  } else if (cmd == "count") {
    uint64_t n = 0;
    if (!(in >> n)) throw std::runtime_error("usage: count N");
    count = n;
  } else {
    throw std::runtime_error("unknown command: " + cmd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description d("Options");
  d.add_options()("out", po::value<std::vector<std::string>>(),
                  "log file to create (one per device with --group-id)")(
      "group-id", po::value<std::string>(),
      "write group logs of this group id (docs/log-format.md)")(
      "sectorsize", po::value<uint32_t>()->default_value(512), "log sector size")(
      "super-padding", po::value<std::string>()->default_value("0"),
      "value of superblock bytes 28-31")("script", po::value<std::string>(),
                                         "script file (default stdin)")("help,h", "show help");
  po::positional_options_description pos;
  pos.add("script", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(d).positional(pos).run(), vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "bb-log-builder: {}\n{}", e.what(), kHelp);
    return 1;
  }
  if (vm.count("help") != 0) {
    fmt::print("{}", kHelp);
    return 0;
  }
  if (vm.count("out") == 0) {
    fmt::print(stderr, "bb-log-builder: --out is required\n{}", kHelp);
    return 1;
  }
  int lineno = 0;
  try {
    auto outs = vm["out"].as<std::vector<std::string>>();
    bool group = vm.count("group-id") != 0;
    if (outs.size() > 1 && !group) throw std::runtime_error("several --out need --group-id");
    auto clock = std::make_shared<GroupClock>();
    std::vector<Device> devices;
    for (size_t i = 0; i < outs.size(); ++i) {
      WriterOptions wo;
      wo.sectorsize = vm["sectorsize"].as<uint32_t>();
      wo.superblock_padding =
          static_cast<uint32_t>(std::stoul(vm["super-padding"].as<std::string>(), nullptr, 0));
      if (group) {
        wo.group = WriterGroup{std::stoull(vm["group-id"].as<std::string>(), nullptr, 0),
                               static_cast<uint32_t>(i), clock};
      }
      Device dev;
      dev.sink = std::make_unique<FileLogSink>(outs[i]);
      dev.writer = std::make_unique<LogWriter>(*dev.sink, wo);
      devices.push_back(std::move(dev));
    }
    size_t current = 0;
    std::ifstream file;
    if (vm.count("script") != 0) {
      file.open(vm["script"].as<std::string>());
      if (!file) throw std::runtime_error("cannot open script");
    }
    std::istream& in = vm.count("script") != 0 ? static_cast<std::istream&>(file) : std::cin;
    for (std::string line; std::getline(in, line);) {
      ++lineno;
      run_line(devices, current, line);
    }
    for (Device& dev : devices)
      dev.writer->finish_with_count(dev.count.value_or(dev.writer->entries()));
  } catch (const std::exception& e) {
    fmt::print(stderr, "bb-log-builder: line {}: {}\n", lineno, e.what());
    return 1;
  }
  return 0;
}
