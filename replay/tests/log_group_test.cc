// SPDX-License-Identifier: GPL-2.0-or-later
// Group tags and LogGroup (docs/log-format.md "Groups").
#include "format/log_group.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "format/log_checksum.h"
#include "format/log_index.h"
#include "format/log_reader.h"
#include "format/log_writer.h"

namespace bb::logwrites {
namespace {

constexpr uint64_t kGroupId = 0x0123456789abcdefULL;

std::vector<uint8_t> data(uint8_t byte, size_t sectors = 1) {
  return std::vector<uint8_t>(sectors * 512, byte);
}

// Two devices of one group sharing one clock, and the same I/O without a group.
struct Pair {
  MemoryLogSink sink[2];
  MemoryLogSink plain[2];
  std::unique_ptr<LogWriter> w[2];
  std::unique_ptr<LogWriter> p[2];

  explicit Pair(uint64_t id = kGroupId, uint32_t index1 = 1) {
    auto clock = std::make_shared<GroupClock>();
    for (uint32_t d = 0; d < 2; ++d) {
      WriterOptions wo;
      wo.group = WriterGroup{id, d == 0 ? 0 : index1, clock};
      w[d] = std::make_unique<LogWriter>(sink[d], wo);
      p[d] = std::make_unique<LogWriter>(plain[d], WriterOptions{});
    }
  }
  // The same entry in the group log and the plain log of device d.
  template <typename F>
  void both(int d, F f) {
    f(*w[d]);
    f(*p[d]);
  }
  void workload() {
    both(0, [](LogWriter& l) { l.write(0, data(0x11, 8)); });
    both(1, [](LogWriter& l) { l.write(100, data(0x22, 2), kFlagFua); });
    both(0, [](LogWriter& l) { l.flush(); });
    both(0, [](LogWriter& l) { l.mark("one"); });
    both(1, [](LogWriter& l) { l.discard(8, 8); });
    both(1, [](LogWriter& l) { l.flush(); });
    both(0, [](LogWriter& l) { l.write(16, data(0x33), kFlagFua | kFlagMetadata); });
    both(1, [](LogWriter& l) { l.mark("two"); });
    for (int d = 0; d < 2; ++d) both(d, [](LogWriter& l) { l.finish(); });
  }
};

LogIndex index_of(const std::vector<uint8_t>& bytes, bool v1_only = false) {
  MemoryLogSource source(bytes);
  LogReader reader(source, ReaderOptions{false, v1_only});
  return LogIndex::build(reader);
}

TEST(GroupTag, LayoutAndChecksum) {
  // The checksum is CRC32C; its check value ties it to the kernel's.
  const std::string check = "123456789";
  EXPECT_EQ(crc32c(std::span(reinterpret_cast<const uint8_t*>(check.data()), check.size())),
            0xe3069283U);
  std::vector<uint8_t> sector(512, 0);
  encode_entry_header(EntryHeader{7, 1, kFlagFua, 0}, sector);
  write_group_tag(sector, GroupTag{kGroupTagMagic, kGroupId, 42, 3, 0});
  EXPECT_EQ(load_le64(sector, 480), kGroupTagMagic);
  EXPECT_EQ(std::string(sector.begin() + 480, sector.begin() + 488), "bbGRPtag");
  EXPECT_EQ(load_le64(sector, 488), kGroupId);
  EXPECT_EQ(load_le64(sector, 496), 42U);
  EXPECT_EQ(load_le32(sector, 504), 3U);
  uint32_t crc = crc32c(std::span(sector).first(32));
  crc = crc32c(std::span(sector).subspan(480, 28), crc);
  EXPECT_EQ(load_le32(sector, 508), crc);
  GroupTag tag;
  EXPECT_EQ(read_group_tag(sector, kGroupTagMagic, &tag), TagState::kValid);
  EXPECT_EQ(tag.seq, 42U);
  EXPECT_EQ(read_group_tag(sector, kGroupSuperMagic, &tag), TagState::kNone);
  sector[8] ^= 1;  // the header is covered too
  EXPECT_EQ(read_group_tag(sector, kGroupTagMagic, &tag), TagState::kBadChecksum);
}

TEST(GroupTag, ReaderSeesTagsAndTheV1ViewIsUnchanged) {
  Pair g;
  g.workload();
  for (int d = 0; d < 2; ++d) {
    MemoryLogSource source(g.sink[d].bytes());
    LogReader reader(source);
    ASSERT_TRUE(reader.group_super());
    EXPECT_EQ(reader.group_super()->group_id, kGroupId);
    EXPECT_EQ(g.sink[d].bytes().size(), g.plain[d].bytes().size());
    // Every header's first 32 bytes and mark text equal the plain log's;
    // only the last 32 bytes of each header sector differ.
    MemoryLogSource plain_source(g.plain[d].bytes());
    LogReader plain(plain_source);
    auto a = g.sink[d].bytes();
    auto b = g.plain[d].bytes();
    while (auto e = reader.next()) {
      auto pe = plain.next();
      ASSERT_TRUE(pe);
      ASSERT_TRUE(e->group_tag);
      EXPECT_EQ(e->header, pe->header);
      EXPECT_EQ(e->mark, pe->mark);
      size_t at = e->offset;
      EXPECT_TRUE(std::equal(a.begin() + at, a.begin() + at + 512 - 32, b.begin() + at));
      EXPECT_TRUE(std::equal(a.begin() + e->data_offset, a.begin() + e->next_offset(),
                             b.begin() + e->data_offset));
    }
    // Superblock: bytes 0..479 equal.
    EXPECT_TRUE(std::equal(a.begin(), a.begin() + 480, b.begin()));
    // Read as upstream does, the group log gives the plain log's index.
    LogIndex v1 = index_of(a, true);
    LogIndex ref = index_of(b);
    ASSERT_EQ(v1.size(), ref.size());
    for (uint64_t i = 0; i < v1.size(); ++i) EXPECT_EQ(v1.at(i), ref.at(i));
    EXPECT_FALSE(v1.group_super());
    EXPECT_TRUE(v1.group_seqs().empty());
  }
}

TEST(GroupTag, MarksLeaveRoomForTheTag) {
  MemoryLogSink sink;
  WriterOptions wo;
  wo.group = WriterGroup{kGroupId, 0, nullptr};
  LogWriter w(sink, wo);
  EXPECT_EQ(w.max_mark(), 447U);
  EXPECT_NO_THROW(w.mark(std::string(447, 'x')));
  EXPECT_THROW(w.mark(std::string(448, 'x')), LogError);
  // A mark that runs into the tag is malformed.
  std::vector<uint8_t> text(460, 'y');
  w.raw_entry(EntryHeader{0, 0, kFlagMark, 460}, text, {});
  w.finish();
  MemoryLogSource source(sink.bytes());
  LogReader reader(source);
  EXPECT_TRUE(reader.next());
  EXPECT_THROW((void)reader.next(), LogError);
}

TEST(LogGroup, MergesByGlobalSequence) {
  Pair g;
  g.workload();
  LogIndex i0 = index_of(g.sink[0].bytes());
  LogIndex i1 = index_of(g.sink[1].bytes());
  // The index keeps every entry's sequence, through its file format too.
  EXPECT_EQ(std::vector<uint64_t>(i0.group_seqs().begin(), i0.group_seqs().end()),
            (std::vector<uint64_t>{1, 3, 4, 7}));
  LogIndex again = LogIndex::deserialize(i1.serialize());
  EXPECT_EQ(std::vector<uint64_t>(again.group_seqs().begin(), again.group_seqs().end()),
            (std::vector<uint64_t>{2, 5, 6, 8}));
  ASSERT_TRUE(again.group_super());
  EXPECT_EQ(again.group_super()->index, 1U);

  LogGroup group({{"a", &i0}, {"b", &i1}});
  EXPECT_EQ(group.group_id(), kGroupId);
  ASSERT_EQ(group.size(), 8U);
  std::vector<GroupEntry> want{{1, 0, 0}, {2, 1, 0}, {3, 0, 1}, {4, 0, 2},
                               {5, 1, 1}, {6, 1, 2}, {7, 0, 3}, {8, 1, 3}};
  EXPECT_EQ(group.order(), want);
  EXPECT_EQ(group.prefix(0), (std::vector<uint64_t>{1, 0}));
  EXPECT_EQ(group.prefix(4), (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(group.find_mark("one"), 3U);
  EXPECT_EQ(group.find_mark("two"), 7U);
  EXPECT_EQ(group.find_mark("one", 4), std::nullopt);
  EXPECT_EQ(group.find_mark("nope"), std::nullopt);
  EXPECT_EQ(group.next_with_flags(kFlagFua, 0), 1U);
  EXPECT_EQ(group.next_with_flags(kFlagFua, 2), 6U);
  EXPECT_EQ(group.position_at_seq(0), std::nullopt);
  EXPECT_EQ(group.position_at_seq(5), 4U);
  EXPECT_EQ(group.position_at_seq(100), 7U);
  EXPECT_FALSE(group.complete());  // no end marks: whole up to the smaller last sequence
  EXPECT_EQ(group.complete_through(), 7U);
}

TEST(LogGroup, CompleteWithEndMarks) {
  Pair g;
  g.w[0]->write(0, data(1));
  g.w[1]->flush();
  g.w[0]->mark(kEndMark);
  g.w[0]->finish();
  g.w[1]->finish();
  LogIndex a = index_of(g.sink[0].bytes());
  LogIndex b = index_of(g.sink[1].bytes());
  LogGroup unfinished({{"a", &a}, {"b", &b}});
  EXPECT_FALSE(unfinished.complete());
  EXPECT_EQ(unfinished.complete_through(), 2U);  // b's last entry
  g.w[1]->mark(kEndMark);
  g.w[1]->finish();
  LogIndex b2 = index_of(g.sink[1].bytes());
  LogGroup whole({{"a", &a}, {"b", &b2}});
  EXPECT_TRUE(whole.complete());
  EXPECT_EQ(whole.complete_through(), 4U);
}

std::string refusal(const std::vector<GroupDevice>& devices) {
  try {
    LogGroup group(devices);
  } catch (const GroupError& e) {
    return e.what();
  }
  return "";
}

TEST(LogGroup, RefusesMixedGroups) {
  Pair g(kGroupId);
  g.workload();
  Pair h(kGroupId + 1);
  h.workload();
  LogIndex a = index_of(g.sink[0].bytes());
  LogIndex b = index_of(h.sink[1].bytes());
  EXPECT_NE(refusal({{"a", &a}, {"b", &b}}).find("not one group"), std::string::npos);
}

TEST(LogGroup, RefusesDuplicateIndex) {
  Pair g(kGroupId, 0);  // both devices call themselves 0
  g.workload();
  LogIndex a = index_of(g.sink[0].bytes());
  LogIndex b = index_of(g.sink[1].bytes());
  EXPECT_NE(refusal({{"a", &a}, {"b", &b}}).find("both device 0"), std::string::npos);
}

TEST(LogGroup, RefusesPlainLogs) {
  Pair g;
  g.workload();
  LogIndex a = index_of(g.sink[0].bytes());
  LogIndex p = index_of(g.plain[1].bytes());
  EXPECT_NE(refusal({{"a", &a}, {"p", &p}}).find("p: not a group log"), std::string::npos);
}

TEST(LogGroup, RefusesOutOfOrderAndDuplicateSequences) {
  {
    Pair g;
    g.w[0]->write(0, data(1));
    g.w[0]->set_next_seq(1);  // not above the previous one
    g.w[0]->flush();
    g.w[0]->finish();
    g.w[1]->finish();
    LogIndex a = index_of(g.sink[0].bytes());
    LogIndex b = index_of(g.sink[1].bytes());
    EXPECT_NE(refusal({{"a", &a}, {"b", &b}}).find("out of order"), std::string::npos);
  }
  {
    Pair g;
    g.w[0]->write(0, data(1));  // seq 1
    g.w[1]->set_next_seq(1);
    g.w[1]->flush();
    g.w[0]->finish();
    g.w[1]->finish();
    LogIndex a = index_of(g.sink[0].bytes());
    LogIndex b = index_of(g.sink[1].bytes());
    EXPECT_NE(refusal({{"a", &a}, {"b", &b}}).find("group sequence 1 is in a"), std::string::npos);
  }
}

TEST(LogGroup, RefusesCorruptTags) {
  Pair g;
  g.workload();
  std::vector<uint8_t> bytes = g.sink[0].bytes();
  // Entry 1 (the flush) is the header after entry 0's 8 data sectors.
  size_t header = 512 + 512 + 8 * 512;
  bytes[header + 500] ^= 0x40;  // the tag's sequence
  MemoryLogSource source(bytes);
  LogReader reader(source);
  (void)reader.next();
  auto e = reader.next();
  ASSERT_TRUE(e);  // still a readable v1 entry...
  EXPECT_FALSE(e->group_tag);
  EXPECT_TRUE(e->group_tag_bad);  // ... but not a group entry
  LogIndex a = index_of(bytes);
  ASSERT_TRUE(a.group_problem());
  EXPECT_EQ(a.group_problem()->entry, 1U);
  LogIndex b = index_of(g.sink[1].bytes());
  EXPECT_NE(refusal({{"a", &a}, {"b", &b}})
                .find("a: entry 1 is not a group entry: its group tag's checksum"),
            std::string::npos);
  // A corrupt superblock tag.
  bytes = g.sink[0].bytes();
  bytes[500] ^= 1;
  LogIndex c = index_of(bytes);
  EXPECT_TRUE(c.group_super_bad());
  EXPECT_NE(refusal({{"c", &c}, {"b", &b}}).find("no valid group tag"), std::string::npos);
}

}  // namespace
}  // namespace bb::logwrites
