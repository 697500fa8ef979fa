// SPDX-License-Identifier: GPL-2.0-or-later
// The committed tests/vectors/ files must be exactly what the generator
// makes, and their .dump files exactly what the reader decodes.
#include "tools/test_vectors.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

namespace bb::logwrites {
namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << p;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(TestVectors, CommittedFilesMatchTheGenerator) {
  const std::filesystem::path dir = BB_VECTORS_DIR;
  auto vectors = make_test_vectors();
  ASSERT_GE(vectors.size(), 10U);
  for (const auto& v : vectors) {
    std::string log = read_text(dir / (v.name + ".log"));
    EXPECT_EQ(log, std::string(v.log.begin(), v.log.end()))
        << v.name << ".log differs: rerun bb-make-vectors";
    EXPECT_EQ(read_text(dir / (v.name + ".dump")), dump_text(v.log, false)) << v.name;
    if (v.has_scan_dump) {
      EXPECT_EQ(read_text(dir / (v.name + ".scan.dump")), dump_text(v.log, true)) << v.name;
    }
  }
}

TEST(TestVectors, KnownDecodings) {
  for (const auto& v : make_test_vectors()) {
    std::string dump = dump_text(v.log, false);
    if (v.name == "basic-512") {
      EXPECT_NE(dump.find("entry=3 offset=6144 sector=0 nr_sectors=0 flags=0x8(MARK)"),
                std::string::npos);
      EXPECT_NE(dump.find("end entries=4 next_offset=6656"), std::string::npos);
    }
    if (v.name.starts_with("bad-") || v.name.starts_with("truncated") ||
        v.name == "garbage-padding" || v.name == "zero-entry" || v.name == "entry-past-end" ||
        v.name == "mark-too-long" || v.name == "inline-data" || v.name == "sector-overflow") {
      EXPECT_NE(dump.find("error "), std::string::npos) << v.name;
      EXPECT_EQ(dump.find("end entries"), std::string::npos) << v.name;
    }
  }
}

}  // namespace
}  // namespace bb::logwrites
