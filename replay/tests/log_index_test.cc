// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_index.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "format/log_checksum.h"
#include "format/log_index_cache.h"
#include "format/log_writer.h"
#include "tools/test_vectors.h"

namespace bb::logwrites {
namespace {

// 1000 entries: writes, a FUA every 10, a flush every 25, a mark every 100.
std::vector<uint8_t> big_log() {
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{512, 0, {}});
  for (uint64_t i = 0; w.entries() < 1000; ++i) {
    if (i % 100 == 50) {
      w.mark("m" + std::to_string(i / 100));
    } else if (i % 25 == 0) {
      w.flush();
    } else {
      w.write(i, pattern_data(i, 1, 512, 4), i % 10 == 0 ? kFlagFua : 0);
    }
  }
  w.finish();
  return sink.bytes();
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bbidx-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

void write_file(const std::filesystem::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

TEST(LogIndex, SeeksMatchALinearScan) {
  auto log = big_log();
  MemoryLogSource src(log);
  LogReader r(src);
  LogIndex idx = LogIndex::build(r);
  ASSERT_EQ(idx.size(), 1000U);
  // Linear reference.
  r.seek(0, 512);
  std::vector<Entry> all;
  while (auto e = r.next()) all.push_back(*e);
  for (uint64_t from : {0ULL, 1ULL, 10ULL, 11ULL, 499ULL, 998ULL, 999ULL}) {
    std::optional<uint64_t> fua;
    std::optional<uint64_t> flush_or_fua;
    for (uint64_t i = from; i < all.size(); ++i) {
      if (!fua && all[i].has(kFlagFua)) fua = i;
      if (!flush_or_fua && (all[i].header.flags & (kFlagFua | kFlagFlush)) != 0) flush_or_fua = i;
    }
    EXPECT_EQ(idx.next_with_flags(kFlagFua, from), fua) << from;
    EXPECT_EQ(idx.next_with_flags(kFlagFua | kFlagFlush, from), flush_or_fua) << from;
  }
  for (const auto& e : all) {
    EXPECT_EQ(idx.at(e.index).offset, e.offset);
    EXPECT_EQ(idx.end_offset(e.index), e.next_offset());
  }
  auto m3 = idx.find_mark("m3");
  ASSERT_TRUE(m3.has_value());
  EXPECT_EQ(all[*m3].mark, "m3");
  EXPECT_FALSE(idx.find_mark("m3", *m3 + 1).has_value());
  EXPECT_FALSE(idx.find_mark("nope").has_value());
  EXPECT_EQ(*idx.mark_text(*m3), "m3");
}

TEST(LogIndex, SerializeRoundTripAndValidate) {
  auto log = big_log();
  MemoryLogSource src(log);
  LogReader r(src);
  LogIndex idx = LogIndex::build(r);
  LogIndex back = LogIndex::deserialize(idx.serialize());
  EXPECT_TRUE(std::ranges::equal(back.entries(), idx.entries()));
  EXPECT_EQ(back.marks(), idx.marks());
  EXPECT_EQ(back.header_checksum(), idx.header_checksum());
  EXPECT_NO_THROW(back.validate(r, false));
  EXPECT_NO_THROW(back.validate(r, true));
}

TEST(LogIndex, MappedFileIsUsedInPlace) {
  auto log = big_log();
  MemoryLogSource src(log);
  LogReader r(src);
  LogIndex idx = LogIndex::build(r);
  TempDir dir;
  auto path = dir.path / "t.bbidx";
  write_file(path, idx.serialize());
  auto file = std::make_shared<const bb::common::FileMapping>(path.string());
  LogIndex back = LogIndex::load(file);
  // The entry table lies inside the mapping: no copy was made.
  std::span<const uint8_t> mapped = file->bytes();
  auto* first = reinterpret_cast<const uint8_t*>(back.entries().data());
  EXPECT_TRUE(first >= mapped.data() && first < mapped.data() + mapped.size());
  EXPECT_TRUE(std::ranges::equal(back.entries(), idx.entries()));
  EXPECT_EQ(back.marks(), idx.marks());
  for (uint64_t from : {0ULL, 10ULL, 11ULL, 499ULL, 999ULL}) {
    EXPECT_EQ(back.next_with_flags(kFlagFua, from), idx.next_with_flags(kFlagFua, from)) << from;
    EXPECT_EQ(back.next_with_flags(kFlagFlush | kFlagMark, from),
              idx.next_with_flags(kFlagFlush | kFlagMark, from))
        << from;
  }
  // Copies share the mapping and outlive the caller's handle.
  LogIndex copy = back;
  file.reset();
  back = LogIndex();
  EXPECT_EQ(copy.at(999).offset, idx.at(999).offset);
  EXPECT_NO_THROW(copy.validate(r, true));
}

TEST(LogIndex, FlagTablesMustMatchTheEntries) {
  auto log = big_log();
  MemoryLogSource src(log);
  LogReader r(src);
  LogIndex idx = LogIndex::build(r);
  auto bytes = idx.serialize();
  // Header (56 bytes), then the entry table; the FLUSH table's count follows.
  size_t flush_table = 56 + idx.size() * sizeof(IndexedEntry);
  ASSERT_GT(load_le64(bytes, flush_table), 1U);
  // Swap the first two FLUSH entries and re-seal the checksum: only the
  // table check can tell.
  auto bad = bytes;
  uint64_t a = load_le64(bad, flush_table + 8);
  uint64_t b = load_le64(bad, flush_table + 16);
  store_le64(bad, flush_table + 8, b);
  store_le64(bad, flush_table + 16, a);
  store_le64(bad, bad.size() - 8, lane_hash64(std::span(bad).first(bad.size() - 8)));
  EXPECT_THROW(LogIndex::deserialize(bad), LogError);
  // Point a FLUSH table slot at a plain write.
  bad = bytes;
  store_le64(bad, flush_table + 8, 1);
  store_le64(bad, bad.size() - 8, lane_hash64(std::span(bad).first(bad.size() - 8)));
  EXPECT_THROW(LogIndex::deserialize(bad), LogError);
}

TEST(LogIndex, CorruptIndexFilesAreRejected) {
  auto log = big_log();
  MemoryLogSource src(log);
  LogReader r(src);
  auto bytes = LogIndex::build(r).serialize();
  for (size_t at : {size_t{0}, size_t{20}, size_t{100}, bytes.size() / 2, bytes.size() - 1}) {
    auto bad = bytes;
    bad[at] ^= 0x40;
    EXPECT_THROW(LogIndex::deserialize(bad), LogError) << at;
  }
  for (size_t len : {size_t{0}, size_t{7}, size_t{60}, bytes.size() - 1}) {
    EXPECT_THROW(LogIndex::deserialize(std::span(bytes).first(len)), LogError) << len;
  }
}

TEST(LogIndex, StaleIndexIsDetected) {
  auto log = big_log();
  LogIndex idx;
  {
    MemoryLogSource src(log);
    LogReader r(src);
    idx = LogIndex::build(r);
  }
  // A changed header in the middle: the full check finds it.
  auto changed = log;
  store_le64(changed, idx.at(501).offset, 77777);
  MemoryLogSource src(changed);
  LogReader r(src);
  EXPECT_THROW(idx.validate(r, true), LogError);
  // A changed superblock count or size: even the quick check finds it.
  auto grown = log;
  grown.resize(grown.size() + 512);
  MemoryLogSource src2(grown);
  LogReader r2(src2);
  EXPECT_THROW(idx.validate(r2, false), LogError);
}

TEST(LogIndex, BadEntryEndsTheIndexAndIsKept) {
  auto log = big_log();
  MemoryLogSource src(log);
  LogReader r(src);
  uint64_t bad_offset = LogIndex::build(r).at(600).offset;
  log[bad_offset + 100] = 0x99;
  MemoryLogSource src2(log);
  LogReader r2(src2);
  LogIndex idx = LogIndex::build(r2);
  EXPECT_EQ(idx.size(), 600U);
  ASSERT_TRUE(idx.tail_error().has_value());
  EXPECT_EQ(idx.tail_error()->entry, 600U);
  EXPECT_EQ(idx.tail_error()->offset, bad_offset);
  LogIndex back = LogIndex::deserialize(idx.serialize());
  ASSERT_TRUE(back.tail_error().has_value());
  EXPECT_EQ(back.tail_error()->detail, idx.tail_error()->detail);
}

TEST(LogIndexCache, BesideTheLogThenLoadedThenRebuiltWhenStale) {
  TempDir dir;
  auto path = dir.path / "t.log";
  write_file(path, big_log());
  IndexCacheOptions opts;
  {
    FileLogSource src(path.string());
    LogReader r(src);
    EXPECT_EQ(default_index_path(src), path.string() + ".bbidx");
    auto c = load_or_build_index(src, r, opts);
    EXPECT_EQ(c.origin, IndexOrigin::kBuilt);
    EXPECT_TRUE(std::filesystem::exists(c.path));
  }
  {
    FileLogSource src(path.string());
    LogReader r(src);
    auto c = load_or_build_index(src, r, opts);
    EXPECT_EQ(c.origin, IndexOrigin::kLoaded);
    EXPECT_EQ(c.index.size(), 1000U);
  }
  {
    // Append an entry and bump the count: stale, rebuilt.
    MemoryLogSink sink;
    LogWriter w(sink, WriterOptions{512, 0, {}});
    w.mark("only");
    w.finish();
    write_file(path, sink.bytes());
    FileLogSource src(path.string());
    LogReader r(src);
    auto c = load_or_build_index(src, r, opts);
    EXPECT_EQ(c.origin, IndexOrigin::kRebuilt);
    EXPECT_EQ(c.index.size(), 1U);
  }
}

TEST(LogIndexCache, ReadOnlyDirectoryUsesTheCacheFolder) {
  TempDir dir;
  TempDir cache;
  auto path = dir.path / "ro.log";
  write_file(path, big_log());
  ::setenv("XDG_CACHE_HOME", cache.path.c_str(), 1);
  std::filesystem::permissions(
      dir.path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  bool root_ignores_modes = ::access(dir.path.c_str(), W_OK) == 0;
  FileLogSource src(path.string());
  std::string p = default_index_path(src);
  std::filesystem::permissions(dir.path, std::filesystem::perms::owner_all);
  ::unsetenv("XDG_CACHE_HOME");
  if (!root_ignores_modes) {
    EXPECT_TRUE(p.starts_with(cache.path.string() + "/blackbox/index/ro.log-")) << p;
    return;
  }
  // Root ignores directory modes, so ask as an unprivileged user, in a
  // child that drops to nobody (the directory stays readable to it).
  std::filesystem::permissions(
      dir.path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                    std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  std::string want = cache.path.string() + "/blackbox/index/ro.log-";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv("XDG_CACHE_HOME", cache.path.c_str(), 1);
    bool ok =
        ::setgid(65534) == 0 && ::setuid(65534) == 0 && default_index_path(src).starts_with(want);
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  std::filesystem::permissions(dir.path, std::filesystem::perms::owner_all);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "as nobody, the index path is not in the cache folder";
}

}  // namespace
}  // namespace bb::logwrites
