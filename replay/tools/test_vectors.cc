// SPDX-License-Identifier: GPL-2.0-or-later
#include "tools/test_vectors.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "format/log_dump.h"
#include "format/log_reader.h"
#include "format/log_writer.h"

namespace bb::logwrites {
namespace {

struct Builder {
  MemoryLogSink sink;
  LogWriter writer;
  explicit Builder(uint32_t ss, uint32_t padding = 0)
      : writer(sink, WriterOptions{ss, padding, {}}) {}
  void write(uint64_t sector, uint64_t n, uint8_t seed, uint64_t flags = 0) {
    writer.write(sector, pattern_data(sector, n, writer.sectorsize(), seed), flags);
  }
  std::vector<uint8_t> done() {
    writer.finish();
    return sink.bytes();
  }
  std::vector<uint8_t> done_with_count(uint64_t n) {
    writer.finish_with_count(n);
    return sink.bytes();
  }
};

std::vector<uint8_t> header_tail(size_t at, uint8_t value) {
  std::vector<uint8_t> t(at + 1, 0);
  t[at] = value;
  return t;
}

std::vector<uint8_t> basic_512() {
  // The worked example of docs/log-format.md, with garbage in superblock
  // bytes 28-31 as the kernel may leave there.
  Builder b(512, 0xdeadbeef);
  b.write(0, 8, 1);
  b.writer.flush();
  b.writer.discard(100, 16);
  b.writer.mark("mkfs");
  return b.done();
}

std::vector<uint8_t> basic_4096() {
  Builder b(4096);
  b.write(0, 1, 2);
  b.write(10, 2, 3, kFlagFua | kFlagMetadata);
  b.writer.flush();
  b.writer.discard(5, 3);
  b.writer.mark("mkfs");
  b.write(2, 1, 4, kFlagMetadata);
  b.write(3, 1, 5, kFlagFua);
  b.writer.mark(kEndMark);
  return b.done();
}

std::vector<uint8_t> all_flags_512() {
  Builder b(512, 0x12345678);
  b.write(8, 1, 6, kFlagFlush | kFlagFua);
  b.write(9, 2, 7, kFlagMetadata);
  b.writer.raw_entry(EntryHeader{0, 0, kFlagFlush | kFlagFua, 0}, {}, {});
  b.writer.discard(0, 1ULL << 21);                    // 1 GiB: far past any zeroing cap
  b.write(4, 1, 8, 0x20);                             // a flag bit the kernel never writes
  b.writer.mark(std::string(size_t{512} - 33, 'm'));  // longest mark a 512-byte log holds
  b.writer.mark("odd \"mark\"\\");
  return b.done();
}

std::vector<uint8_t> stale_super_512() {
  // Five entries, but the superblock still says 2 (log full / unclean
  // teardown); an unwritten (zero) sector follows the last entry.
  Builder b(512);
  b.write(0, 1, 9);
  b.writer.flush();
  b.write(1, 2, 10, kFlagFua);
  b.writer.mark("late");
  b.write(3, 1, 11);
  auto log = b.done_with_count(2);
  log.resize(log.size() + 512, 0);
  return log;
}

// What a log-writes target must record for the workload in
// tests/vectors/README.md ("kernel-workload-512"), run on a 512-byte-sector
// device. Both the in-tree target and bb-log-writes are held to it in the
// VM (tests/vm/scenarios/bblw-vectors.sh): writes are logged at the flush
// that follows their completion, FUA writes at completion, a mark at once,
// and the end mark at teardown.
std::vector<uint8_t> kernel_workload_512() {
  Builder b(512);
  b.writer.write(0, std::vector<uint8_t>(4096, 0xaa), 0);  // pwrite -S 0xaa 0 4096
  b.writer.flush();                                        // fsync
  b.writer.mark("one");
  b.writer.write(2048, std::vector<uint8_t>(8192, 0xbb),
                 kFlagFua);  // pwrite -V 1 -D -b 8k -S 0xbb 1m 8k
  b.writer.flush();  // the block device's write path syncs an RWF_DSYNC write after it completes
  b.writer.discard(4096, 128);  // blkdiscard 2M +64k
  b.writer.flush();             // fsync
  b.writer.mark("two");
  b.writer.mark(kEndMark);  // dmsetup remove
  return b.done();
}

// What two bb-log-writes devices of one group (group=vec:0 and vec:1)
// must record for the workload in tests/vectors/README.md
// ("kernel-group-512"): each log alone, group tags included; the group id
// is random in the kernel and 0x0123456789abcdef here. Held to it in the VM
// by tests/vm/scenarios/group-vectors.sh, which ties the C header's tag
// (dm-targets/bb-log-format.h) to the C++ one.
constexpr uint64_t kVectorGroupId = 0x0123456789abcdefULL;

std::vector<std::vector<uint8_t>> kernel_group_512() {
  auto clock = std::make_shared<GroupClock>();
  MemoryLogSink sinks[2];
  std::vector<std::unique_ptr<LogWriter>> w;
  for (uint32_t d = 0; d < 2; ++d) {
    WriterOptions wo{512, 0, WriterGroup{kVectorGroupId, d, clock}};
    w.push_back(std::make_unique<LogWriter>(sinks[d], wo));
  }
  w[0]->write(0, std::vector<uint8_t>(4096, 0xaa), 0);            // d0: pwrite -S 0xaa 0 4096
  w[0]->flush();                                                  // d0: fsync
  w[0]->mark("one");                                              // mark on d0
  w[1]->write(2048, std::vector<uint8_t>(8192, 0xbb), kFlagFua);  // d1: pwrite -V 1 -D ... 1m 8k
  w[1]->flush();                                                  // d1: the write path's own flush
  w[0]->write(16, std::vector<uint8_t>(4096, 0xcc), 0);           // d0: pwrite -S 0xcc 8k 4k
  w[0]->flush();                                                  // d0: fsync
  w[1]->mark("two");                                              // mark on d1
  w[0]->mark(kEndMark);                                           // dmsetup remove d0
  w[1]->mark(kEndMark);                                           // dmsetup remove d1
  std::vector<std::vector<uint8_t>> logs;
  for (int d = 0; d < 2; ++d) {
    w[d]->finish();
    logs.push_back(sinks[d].bytes());
  }
  return logs;
}

// A group device's log whose entry 1 has a tag with a bad checksum: still a
// good v1 log, but entry 1 is not a group entry (group_tag=bad).
std::vector<uint8_t> group_bad_tag_512() {
  MemoryLogSink sink;
  LogWriter w(sink, WriterOptions{512, 0, WriterGroup{kVectorGroupId, 0, nullptr}});
  w.write(0, pattern_data(0, 1, 512, 15));
  w.flush();
  w.mark("after");
  w.finish();
  std::vector<uint8_t> log = sink.bytes();
  log[512 * 3 + 512 - 4] ^= 0x01;  // entry 1's csum
  return log;
}

std::vector<uint8_t> with_superblock(uint64_t magic, uint64_t version, uint32_t sectorsize) {
  Builder b(512);
  b.write(0, 1, 12);
  auto log = b.done();
  Superblock sb{magic, version, 1, sectorsize, 0};
  encode_superblock(sb, log);
  return log;
}

// A good entry 0, the bad entry 1 built by `bad`, and a good entry 2 that
// must never be replayed.
template <typename F>
std::vector<uint8_t> bad_second_entry(F bad) {
  Builder b(512);
  b.write(0, 1, 13);
  bad(b.writer);
  b.write(8, 1, 14);
  return b.done();
}

}  // namespace

std::vector<uint8_t> pattern_data(uint64_t sector, uint64_t nr_sectors, uint32_t sectorsize,
                                  uint8_t seed) {
  std::vector<uint8_t> data(nr_sectors * sectorsize);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<uint8_t>(uint64_t{seed} * 37 + sector * 13 + i * 7 + (i >> 9));
  }
  return data;
}

std::vector<TestVector> make_test_vectors() {
  std::vector<TestVector> v;
  v.push_back({"basic-512",
               "worked example: write, flush, discard, mark; garbage in superblock bytes 28-31",
               basic_512()});
  v.push_back({"basic-4096",
               "4096-byte sectors: FUA|METADATA, discard, marks incl. dm-log-writes-end",
               basic_4096()});
  v.push_back({"all-flags-512",
               "flag combinations, unknown flag 0x20, 1 GiB discard, longest and odd marks",
               all_flags_512()});
  v.push_back({"kernel-workload-512",
               "what a log-writes target records for the README's guest workload",
               kernel_workload_512()});
  {
    auto logs = kernel_group_512();
    v.push_back({"kernel-group-512-d0",
                 "group device 0 of the README's two-device group workload (tags, seq)", logs[0]});
    v.push_back({"kernel-group-512-d1", "group device 1 of the same workload", logs[1]});
  }
  v.push_back({"group-bad-tag-512",
               "a group log whose entry 1 tag has a bad checksum: v1-valid, not a group entry",
               group_bad_tag_512()});
  {
    Builder b(512);
    v.push_back({"empty-512", "no entries", b.done()});
  }
  v.push_back({"stale-super-512", "superblock says 2 of 5 entries (use --scan-past-end)",
               stale_super_512(), true});
  v.push_back({"bad-magic", "wrong magic", with_superblock(0x1122334455667788ULL, kVersion, 512)});
  v.push_back({"bad-version", "version 2", with_superblock(kMagic, 2, 512)});
  v.push_back({"bad-sectorsize-1000", "sectorsize not a power of two",
               with_superblock(kMagic, kVersion, 1000)});
  v.push_back(
      {"bad-sectorsize-256", "sectorsize below 512", with_superblock(kMagic, kVersion, 256)});
  {
    auto log = basic_512();
    log.resize(20);
    v.push_back({"truncated-super", "log shorter than a superblock", log});
  }
  {
    auto log = basic_512();
    log.resize(5120 + 100);  // inside entry 1's header
    v.push_back({"truncated-header", "log ends inside the header of entry 1", log});
  }
  {
    auto log = bad_second_entry([](LogWriter& w) {
      w.raw_entry(EntryHeader{16, 8, 0, 0}, {}, {});
    });
    log.resize(512 * 2 + 512 + 512 + 1024);  // entry 1 claims 4 KiB, 1 KiB present
    v.push_back({"entry-past-end", "entry 1 data runs past the end of the log", log});
  }
  v.push_back({"garbage-padding", "entry 1 (flush) has a non-zero byte in its header padding",
               bad_second_entry([](LogWriter& w) {
                 w.raw_entry(EntryHeader{0, 0, kFlagFlush, 0}, header_tail(8, 0x41), {});
               })});
  v.push_back({"zero-entry", "entry 1 is an all-zero header",
               bad_second_entry([](LogWriter& w) { w.raw_entry(EntryHeader{}, {}, {}); })});
  v.push_back({"mark-too-long", "entry 1 is a mark whose data_len exceeds the header sector",
               bad_second_entry([](LogWriter& w) {
                 w.raw_entry(EntryHeader{0, 0, kFlagMark, 600}, {}, {});
               })});
  v.push_back({"inline-data", "entry 1 is a write with data_len set (inline data)",
               bad_second_entry([](LogWriter& w) {
                 std::vector<uint8_t> data(512, 0x55);
                 w.raw_entry(EntryHeader{16, 1, 0, 4}, {}, data);
               })});
  v.push_back({"sector-overflow", "entry 1 is a discard whose byte range overflows 64 bits",
               bad_second_entry([](LogWriter& w) { w.discard(1ULL << 60, 16); })});
  return v;
}

std::string dump_text(const std::vector<uint8_t>& log, bool scan_past_end) {
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);  // NOLINT(cppcoreguidelines-owning-memory)
  if (out == nullptr) std::abort();
  MemoryLogSource source(log);
  try {
    LogReader reader(source, ReaderOptions{scan_past_end, false});
    dump_log(reader, out, DumpFormat::kText);
  } catch (const LogError& err) {
    dump_superblock_error(err, out, DumpFormat::kText);
  }
  std::fclose(out);  // NOLINT(cppcoreguidelines-owning-memory)
  std::string text(buf, len);
  std::free(buf);  // NOLINT(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory):
                   // open_memstream mallocs
  return text;
}

}  // namespace bb::logwrites
