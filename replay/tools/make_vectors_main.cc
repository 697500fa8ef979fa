// SPDX-License-Identifier: GPL-2.0-or-later
// bb-make-vectors DIR: writes the shared test vectors and their expected
// decodings into DIR (normally tests/vectors/). Deterministic: running it
// again produces identical files.
#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "tools/test_vectors.h"

namespace {

void write_file(const std::string& path, const void* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) == "--help") {
    fmt::print(stderr, "Usage: bb-make-vectors DIR\nExample: bb-make-vectors tests/vectors\n");
    return argc == 2 ? 0 : 1;
  }
  try {
    std::string dir = argv[1];
    for (const auto& v : bb::logwrites::make_test_vectors()) {
      write_file(fmt::format("{}/{}.log", dir, v.name), v.log.data(), v.log.size());
      std::string dump = bb::logwrites::dump_text(v.log, false);
      write_file(fmt::format("{}/{}.dump", dir, v.name), dump.data(), dump.size());
      if (v.has_scan_dump) {
        std::string scan = bb::logwrites::dump_text(v.log, true);
        write_file(fmt::format("{}/{}.scan.dump", dir, v.name), scan.data(), scan.size());
      }
      fmt::print("{:<22} {}\n", v.name, v.description);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bb-make-vectors: {}\n", e.what());
    return 1;
  }
  return 0;
}
