// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_reader.h"

#include <vector>

#include <gtest/gtest.h>

#include "format/log_error.h"
#include "format/log_writer.h"
#include "tools/test_vectors.h"

namespace bb::logwrites {
namespace {

std::vector<uint8_t> sample_log(uint32_t ss, uint32_t padding = 0) {
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{ss, padding, {}});
  w.write(0, pattern_data(0, 8, ss, 1));
  w.flush();
  w.discard(100, 16);
  w.mark("mkfs");
  w.write(3, pattern_data(3, 2, ss, 2), kFlagFua);
  w.finish();
  return sink.bytes();
}

LogErrorKind error_kind_of(const std::vector<uint8_t>& log, uint64_t* entry = nullptr,
                           uint64_t* offset = nullptr) {
  MemoryLogSource src(log);
  try {
    LogReader r(src);
    while (r.next()) {
    }
  } catch (const LogError& e) {
    if (entry != nullptr) *entry = e.entry().value_or(~0ULL);
    if (offset != nullptr) *offset = e.offset().value_or(~0ULL);
    return e.kind();
  }
  ADD_FAILURE() << "no error";
  return LogErrorKind::kUsage;
}

class ReaderRoundTrip : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ReaderRoundTrip, WriterOutputReadsBack) {
  const uint32_t ss = GetParam();
  auto log = sample_log(ss, 0xabcdef01);
  MemoryLogSource src(log);
  LogReader r(src);
  EXPECT_EQ(r.sectorsize(), ss);
  EXPECT_EQ(r.superblock().nr_entries, 5U);
  std::vector<Entry> got;
  while (auto e = r.next()) got.push_back(*e);
  ASSERT_EQ(got.size(), 5U);
  EXPECT_EQ(got[0].offset, ss);
  EXPECT_EQ(got[0].data_bytes, 8U * ss);
  EXPECT_EQ(got[1].offset, ss * 10);  // header + 8 sectors of data
  EXPECT_TRUE(got[1].has(kFlagFlush));
  EXPECT_EQ(got[2].data_bytes, 0U);  // discards carry no data
  EXPECT_EQ(got[3].offset, got[2].offset + ss);
  EXPECT_EQ(got[3].mark, "mkfs");
  EXPECT_EQ(got[4].header.sector, 3U);
  EXPECT_EQ(got[4].next_offset(), log.size());
  // Random access gives the same entries.
  for (const auto& e : got) {
    Entry again = r.read_entry(e.index, e.offset);
    EXPECT_EQ(again.header, e.header);
    EXPECT_EQ(again.mark, e.mark);
  }
  // Data reads back.
  std::vector<uint8_t> data(got[4].data_bytes);
  src.read_exact(got[4].data_offset, data);
  EXPECT_EQ(data, pattern_data(3, 2, ss, 2));
}

INSTANTIATE_TEST_SUITE_P(SectorSizes, ReaderRoundTrip, ::testing::Values(512U, 4096U));

TEST(LogReader, EmptyLog) {
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{512, 0, {}});
  w.finish();
  MemoryLogSource src(sink.bytes());
  LogReader r(src);
  EXPECT_FALSE(r.next().has_value());
}

TEST(LogReaderCorrupt, BadMagic) {
  auto log = sample_log(512);
  log[3] ^= 0xff;
  EXPECT_EQ(error_kind_of(log), LogErrorKind::kBadMagic);
}

TEST(LogReaderCorrupt, BadVersion) {
  auto log = sample_log(512);
  log[8] = 2;
  EXPECT_EQ(error_kind_of(log), LogErrorKind::kBadVersion);
}

TEST(LogReaderCorrupt, BadSectorSizes) {
  for (uint32_t bad : {0U, 256U, 1000U, 131072U}) {
    auto log = sample_log(512);
    store_le32(log, 24, bad);
    EXPECT_EQ(error_kind_of(log), LogErrorKind::kBadSectorSize) << bad;
  }
}

TEST(LogReaderCorrupt, GarbageInSuperblockPaddingIsIgnored) {
  auto log = sample_log(512);
  store_le32(log, 28, 0xffffffff);
  MemoryLogSource src(log);
  EXPECT_NO_THROW(LogReader{src});
}

TEST(LogReaderCorrupt, TruncatedSuperblock) {
  auto log = sample_log(512);
  log.resize(27);
  EXPECT_EQ(error_kind_of(log), LogErrorKind::kTruncated);
}

TEST(LogReaderCorrupt, TruncatedAtEveryPositionNamesTheEntry) {
  const auto full = sample_log(512);
  MemoryLogSource full_src(full);
  LogReader fr(full_src);
  std::vector<Entry> entries;
  while (auto e = fr.next()) entries.push_back(*e);
  for (size_t cut = 512; cut < full.size(); cut += 97) {
    auto log = full;
    log.resize(cut);
    uint64_t entry = 0;
    uint64_t offset = 0;
    EXPECT_EQ(error_kind_of(log, &entry, &offset), LogErrorKind::kTruncated) << cut;
    // The reported entry is the one the cut falls into.
    ASSERT_LT(entry, entries.size());
    EXPECT_EQ(offset, entries[entry].offset);
    EXPECT_LE(entries[entry].offset, cut);
    EXPECT_GT(entries[entry].next_offset(), cut);
  }
}

TEST(LogReaderCorrupt, GarbagePaddingAnywhereInTheHeader) {
  for (size_t byte : {32U, 40U, 511U}) {
    auto log = sample_log(512);
    log[5120 + byte] = 1;  // entry 1 (flush) header
    uint64_t entry = 0;
    uint64_t offset = 0;
    EXPECT_EQ(error_kind_of(log, &entry, &offset), LogErrorKind::kMalformedEntry) << byte;
    EXPECT_EQ(entry, 1U);
    EXPECT_EQ(offset, 5120U);
  }
}

TEST(LogReaderCorrupt, GarbageAfterMarkText) {
  auto log = sample_log(512);
  uint64_t mark_offset = 512 + 512 * 9 + 512 + 512;  // entry 3
  log[mark_offset + 32 + 4 + 10] = 'x';
  EXPECT_EQ(error_kind_of(log), LogErrorKind::kMalformedEntry);
}

TEST(LogReaderCorrupt, AllZeroEntry) {
  auto log = sample_log(512);
  store_le64(log, 5120 + 16, 0);  // flush flag cleared: all-zero header
  EXPECT_EQ(error_kind_of(log), LogErrorKind::kMalformedEntry);
}

TEST(LogReaderCorrupt, HugeNrSectorsOverflowsOrRunsPastEnd) {
  auto log = sample_log(512);
  store_le64(log, 512 + 8, 1ULL << 62);
  EXPECT_EQ(error_kind_of(log), LogErrorKind::kOverflow);
  store_le64(log, 512 + 8, 1ULL << 40);
  EXPECT_EQ(error_kind_of(log), LogErrorKind::kTruncated);
}

TEST(LogReaderScan, StaleSuperblockNeedsOptIn) {
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{512, 0, {}});
  w.write(0, pattern_data(0, 1, 512, 3));
  w.flush();
  w.mark("x");
  w.finish_with_count(1);
  MemoryLogSource src(sink.bytes());
  LogReader plain(src);
  int n = 0;
  while (plain.next()) ++n;
  EXPECT_EQ(n, 1);
  LogReader scan(src, ReaderOptions{true, false});
  n = 0;
  while (scan.next()) ++n;
  EXPECT_EQ(n, 3);
  ASSERT_TRUE(scan.scan_stop().has_value());
  EXPECT_EQ(scan.scan_stop()->entry, 3U);
  EXPECT_EQ(scan.scan_stop()->reason, "end of the log");
}

}  // namespace
}  // namespace bb::logwrites
