// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/replay_engine.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "engine/log_stats.h"
#include "engine/replay_error.h"
#include "format/log_writer.h"
#include "tools/test_vectors.h"

namespace bb::replay {
namespace {

using namespace bb::logwrites;

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bbreplay-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void make_file(const std::filesystem::path& p, size_t size, uint8_t fill) {
  std::vector<char> bytes(size, static_cast<char>(fill));
  std::ofstream(p, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

SessionOptions no_cache() {
  SessionOptions o;
  o.index.use_cache = false;
  return o;
}

// Model of what the target must hold after replaying entries [0, last].
std::vector<uint8_t> model(const std::vector<uint8_t>& log, size_t target_size, uint64_t last,
                           uint8_t fill) {
  std::vector<uint8_t> t(target_size, fill);
  MemoryLogSource src(log);
  LogReader r(src);
  while (auto e = r.next()) {
    if (e->index > last) break;
    uint64_t off = e->header.sector * r.sectorsize();
    uint64_t len = e->header.nr_sectors * r.sectorsize();
    if (e->has(kFlagDiscard)) {
      for (uint64_t i = off; i < off + len && i < t.size(); ++i) t[i] = 0;
    } else if (e->data_bytes > 0) {
      std::vector<uint8_t> d(e->data_bytes);
      src.read_exact(e->data_offset, d);
      std::copy(d.begin(), d.end(), t.begin() + static_cast<std::ptrdiff_t>(off));
    }
  }
  return t;
}

class ReplayFile : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ReplayFile, ReplaysEveryPrefixExactly) {
  const uint32_t ss = GetParam();
  TempDir dir;
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{ss, 0, {}});
  w.discard(0, 64);
  for (uint64_t i = 0; i < 40; ++i)
    w.write(i % 7 * 3, pattern_data(i, 1 + i % 3, ss, static_cast<uint8_t>(i)));
  w.discard(4, 5);
  w.mark("mid");
  w.write(10, pattern_data(10, 4, ss, 9), kFlagFua);
  w.finish();
  auto log_path = dir.path / "l.log";
  std::ofstream(log_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(sink.bytes().data()),
             static_cast<std::streamsize>(sink.bytes().size()));
  LogSession log(log_path.string(), no_cache());
  const size_t target_size = size_t{64} * ss;
  for (uint64_t last : {0ULL, 5ULL, 41ULL, 42ULL, 43ULL}) {
    auto target_path = dir.path / "t.img";
    make_file(target_path, target_size, 0xee);
    ReplayTarget target(target_path.string());
    ReplayOptions opts;
    opts.buffer_bytes = size_t{3} * ss;  // tiny window: exercises refills and streaming
    log.replay(target, 0, last, opts);
    target.sync();
    EXPECT_EQ(read_file(target_path), model(sink.bytes(), target_size, last, 0xee)) << last;
  }
}

INSTANTIATE_TEST_SUITE_P(SectorSizes, ReplayFile, ::testing::Values(512U, 4096U));

TEST(ReplayEngine, DiscardZeroesFilesWithoutCapAndNoDiscardSkips) {
  TempDir dir;
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{512, 0, {}});
  w.discard(0, (300ULL << 20) / 512);  // 300 MiB: over upstream's 128 MiB cap
  w.finish();
  auto log_path = dir.path / "d.log";
  std::ofstream(log_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(sink.bytes().data()),
             static_cast<std::streamsize>(sink.bytes().size()));
  auto target_path = dir.path / "t.img";
  LogSession log(log_path.string(), no_cache());
  {
    make_file(target_path, 1 << 20, 0xaa);
    ReplayTarget target(target_path.string());
    ReplayOptions opts;
    opts.apply_discards = false;
    auto stats = log.replay(target, 0, 0, opts);
    EXPECT_EQ(stats.skipped, 1U);
    EXPECT_EQ(read_file(target_path), std::vector<uint8_t>(1 << 20, 0xaa));
  }
  {
    ReplayTarget target(target_path.string());
    auto stats = log.replay(target, 0, 0, {});
    EXPECT_EQ(stats.discards, 1U);
    EXPECT_EQ(stats.bytes_zeroed, 300ULL << 20);
    EXPECT_EQ(read_file(target_path),
              std::vector<uint8_t>(1 << 20, 0));  // file not grown (KEEP_SIZE)
  }
}

TEST(ReplayEngine, NothingOfOrAfterABadEntryIsWritten) {
  TempDir dir;
  auto log_path = dir.path / "g.log";
  for (const auto& v : make_test_vectors()) {
    if (v.name != "garbage-padding") continue;
    std::ofstream(log_path, std::ios::binary)
        .write(reinterpret_cast<const char*>(v.log.data()),
               static_cast<std::streamsize>(v.log.size()));
  }
  auto target_path = dir.path / "t.img";
  make_file(target_path, 8192, 0xee);
  LogSession log(log_path.string(), no_cache());
  EXPECT_EQ(log.entry_count(), 1U);
  ReplayTarget target(target_path.string());
  try {
    log.replay(target, 0, std::numeric_limits<uint64_t>::max(), {});
    FAIL() << "no error";
  } catch (const LogError& e) {
    EXPECT_EQ(e.entry(), 1U);
    EXPECT_EQ(e.offset(), 1536U);
  }
  auto got = read_file(target_path);
  auto first = pattern_data(0, 1, 512, 13);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), got.begin()));  // entry 0 replayed
  EXPECT_EQ(std::vector<uint8_t>(got.begin() + 4096, got.end()),
            std::vector<uint8_t>(4096, 0xee));  // entry 2 not
}

TEST(ReplayEngine, CheckpointsSeeSyncedTarget) {
  TempDir dir;
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{512, 0, {}});
  for (uint64_t i = 0; i < 10; ++i)
    w.write(i, pattern_data(i, 1, 512, 1), i % 3 == 2 ? kFlagFua : 0);
  w.finish();
  auto log_path = dir.path / "c.log";
  std::ofstream(log_path, std::ios::binary)
      .write(reinterpret_cast<const char*>(sink.bytes().data()),
             static_cast<std::streamsize>(sink.bytes().size()));
  auto target_path = dir.path / "t.img";
  make_file(target_path, 8192, 0);
  LogSession log(log_path.string(), no_cache());
  ReplayTarget target(target_path.string());
  std::vector<uint64_t> seen;
  ReplayOptions opts;
  opts.is_checkpoint = [](uint64_t, const IndexedEntry& e) { return (e.flags & kFlagFua) != 0; };
  opts.on_checkpoint = [&](uint64_t i) {
    seen.push_back(i);
    // Everything up to i is on the target already.
    auto got = read_file(target_path);
    auto want = pattern_data(i, 1, 512, 1);
    EXPECT_TRUE(
        std::equal(want.begin(), want.end(), got.begin() + static_cast<std::ptrdiff_t>(i * 512)));
  };
  log.replay(target, 0, 9, opts);
  EXPECT_EQ(seen, (std::vector<uint64_t>{2, 5, 8}));
}

// ReplayTarget::apply, one entry at a time (the crash checker's states):
// a write lands whole or torn to its first sectors, a discard zeroes, a
// mark or flush writes nothing, and bad data sizes name the entry.
TEST(ReplayTarget, ApplyOneEntry) {
  constexpr std::ptrdiff_t kSector = 512;
  TempDir dir;
  auto target_path = dir.path / "t.img";
  make_file(target_path, kSector * 8, 0xaa);
  ReplayTarget target(target_path.string());
  std::vector<uint8_t> data(kSector * 2, 0x11);
  target.apply(0, IndexedEntry{1024, 1, 2, 0}, 512, data);  // sectors 1-2
  target.apply(1, IndexedEntry{2048, 4, 3, kFlagFua}, 512,
               std::span(data).first(512));                          // torn: sector 4 only
  target.apply(2, IndexedEntry{4096, 6, 2, kFlagDiscard}, 512, {});  // sectors 6-7 zeroed
  target.apply(3, IndexedEntry{5120, 0, 0, kFlagFlush}, 512, {});
  target.apply(4, IndexedEntry{5632, 0, 1, kFlagMark}, 512, std::span(data).first(512));
  target.sync();
  std::vector<uint8_t> want(kSector * 8, 0xaa);
  std::fill(want.begin() + 512, want.begin() + kSector * 3, 0x11);
  std::fill(want.begin() + kSector * 4, want.begin() + kSector * 5, 0x11);
  std::fill(want.begin() + kSector * 6, want.end(), 0);
  EXPECT_EQ(read_file(target_path), want);
  for (size_t bad : {3 * 512, 700}) {
    try {
      target.apply(7, IndexedEntry{9216, 0, 2, 0}, 512, std::vector<uint8_t>(bad, 0x22));
      FAIL() << bad << " bytes for a 2-sector write were taken";
    } catch (const ReplayError& e) {
      EXPECT_EQ(e.entry(), 7U);
      EXPECT_EQ(e.offset(), 9216U);
    }
  }
  EXPECT_EQ(read_file(target_path), want);
}

TEST(LogStats, CountsFlagsBytesAndRange) {
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{512, 0, {}});
  w.write(10, pattern_data(10, 2, 512, 1), kFlagFua | kFlagMetadata);
  w.discard(100, 8);
  w.flush();
  w.mark("a");
  w.finish();
  MemoryLogSource src(sink.bytes());
  LogReader r(src);
  auto s = compute_stats(LogIndex::build(r));
  EXPECT_EQ(s.writes, 1U);
  EXPECT_EQ(s.fuas, 1U);
  EXPECT_EQ(s.metadata, 1U);
  EXPECT_EQ(s.discards, 1U);
  EXPECT_EQ(s.flushes, 1U);
  EXPECT_EQ(s.marks, 1U);
  EXPECT_EQ(s.data_bytes, 1024U);
  EXPECT_EQ(s.discard_bytes, 4096U);
  ASSERT_TRUE(s.sector_range.has_value());
  EXPECT_EQ(s.sector_range->first, 10U);
  EXPECT_EQ(s.sector_range->second, 108U);
  ASSERT_EQ(s.mark_list.size(), 1U);
  EXPECT_EQ(s.mark_list[0].first, 3U);
}

}  // namespace
}  // namespace bb::replay
