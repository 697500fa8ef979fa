// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_index.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace bb::logwrites {
namespace {

constexpr std::array<uint8_t, 8> kIndexMagic{'B', 'B', 'I', 'D', 'X', 0, 'v', '1'};
// 2: flag tables stored, 8-byte aligned tables, lane_hash64 checksum.
// 3: group tags (superblock tag, per-entry sequence, first problem).
// Files of another format are rebuilt, not read.
constexpr uint32_t kIndexFormat = 3;
constexpr uint32_t kGroupSuper = 1;
constexpr uint32_t kGroupSuperBad = 2;
constexpr size_t kChecksumBytes = 8;
constexpr uint32_t kScannedPastEnd = 1;

LogError bad_index(const std::string& why) { return LogError(LogErrorKind::kBadIndex, why); }

class IndexWriter {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void text(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  std::vector<uint8_t>& out() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

// Bounds-checked cursor over an untrusted index file.
class IndexCursor {
 public:
  explicit IndexCursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  std::span<const uint8_t> take(size_t n) {
    if (bytes_.size() - pos_ < n) throw bad_index("index file is truncated");
    auto s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  // The next n 64-bit words, in place. Callers read them with load_le64
  // or, on a little-endian host, as an array.
  std::span<const uint8_t> words(uint64_t n) {
    if (n > remaining() / 8) throw bad_index("index table exceeds the file");
    return take(static_cast<size_t>(n * 8));
  }
  uint8_t u8() { return take(1)[0]; }
  uint32_t u32() { return load_le32(take(4), 0); }
  uint64_t u64() { return load_le64(take(8), 0); }
  std::string text(size_t max) {
    uint32_t n = u32();
    if (n > max) throw bad_index("index file has an oversized string");
    auto s = take(n);
    return std::string(s.begin(), s.end());
  }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace

void LogIndex::checksum_header(Fnv64& sum, const Entry& e) {
  sum.add_u64(e.offset);
  sum.add_u64(e.header.sector);
  sum.add_u64(e.header.nr_sectors);
  sum.add_u64(e.header.flags);
  sum.add_u64(e.header.data_len);
  sum.add(std::span(reinterpret_cast<const uint8_t*>(e.mark.data()), e.mark.size()));
}

// An entry's tag against the superblock's. Only the first problem is kept.
void LogIndex::note_group_entry(const Entry& e) {
  uint64_t seq = e.group_tag ? e.group_tag->seq : 0;
  seqs_.push_back(seq);  // build() drops the table if no entry has a tag
  if (group_problem_ || (!group_super_ && !e.group_tag && !e.group_tag_bad)) return;
  std::string why;
  if (e.group_tag_bad) {
    why = "its group tag's checksum does not match";
  } else if (!e.group_tag) {
    why = "it has no group tag";
  } else if (!group_super_) {
    why = fmt::format("it has a group tag but the superblock has none{}",
                      group_super_bad_ ? " that is valid" : "");
  } else if (e.group_tag->group_id != group_super_->group_id ||
             e.group_tag->index != group_super_->index) {
    why = fmt::format(
        "its group tag names group {:016x} device {}, the superblock {:016x} device {}",
        e.group_tag->group_id, e.group_tag->index, group_super_->group_id, group_super_->index);
  } else if (e.group_tag->seq == 0) {
    why = "its group sequence is 0";
  } else {
    return;
  }
  group_problem_ = GroupProblem{e.index, why};
}

LogIndex LogIndex::build(LogReader& reader, const IndexProgress& progress) {
  LogIndex idx;
  auto tables = std::make_shared<Tables>();
  idx.sectorsize_ = reader.sectorsize();
  idx.log_size_ = reader.source().size();
  idx.nr_entries_ = reader.superblock().nr_entries;
  idx.scanned_past_end_ = reader.options().scan_past_end;
  idx.group_super_ = reader.group_super();
  idx.group_super_bad_ = reader.group_super_bad();
  reader.seek(0, reader.sectorsize());
  Fnv64 sum;
  try {
    while (auto e = reader.next()) {
      tables->entries.push_back(
          IndexedEntry{e->offset, e->header.sector, e->header.nr_sectors, e->header.flags});
      for (size_t bit = 0; bit < kFlagTables; ++bit) {
        if (e->has(uint64_t{1} << bit)) tables->by_flag[bit].push_back(e->index);
      }
      if (e->has(kFlagMark)) idx.marks_.emplace_back(e->index, e->mark);
      idx.note_group_entry(*e);
      checksum_header(sum, *e);
      if (progress && (e->index & 0xfff) == 0) progress(e->index, e->offset);
    }
  } catch (const LogError& err) {
    idx.tail_error_ =
        IndexTailError{err.entry().value_or(reader.next_index()),
                       err.offset().value_or(reader.next_offset()), err.kind(), err.detail()};
  }
  idx.scan_stop_ = reader.scan_stop();
  if (std::all_of(idx.seqs_.begin(), idx.seqs_.end(), [](uint64_t s) { return s == 0; }))
    idx.seqs_.clear();
  idx.header_checksum_ = sum.value();
  idx.adopt(std::move(tables));
  idx.index_marks();
  return idx;
}

void LogIndex::adopt(std::shared_ptr<const Tables> tables) {
  entries_ = tables->entries;
  for (size_t bit = 0; bit < kFlagTables; ++bit) by_flag_[bit] = tables->by_flag[bit];
  tables_ = std::move(tables);
}

void LogIndex::index_marks() {
  marks_by_text_.clear();
  for (const auto& [entry, text] : marks_) marks_by_text_[text].push_back(entry);
}

const IndexedEntry& LogIndex::at(uint64_t i) const {
  if (i >= entries_.size())
    throw std::out_of_range(fmt::format("entry {} is past the index ({})", i, size()));
  return entries_[i];
}

uint64_t LogIndex::data_bytes(uint64_t i) const {
  const IndexedEntry& e = at(i);
  return (e.flags & kFlagDiscard) != 0 ? 0 : e.nr_sectors * sectorsize_;
}

uint64_t LogIndex::end_offset(uint64_t i) const {
  return at(i).offset + sectorsize_ + data_bytes(i);
}

std::optional<uint64_t> LogIndex::next_with_flags(uint64_t mask, uint64_t from) const {
  std::optional<uint64_t> best;
  for (size_t bit = 0; bit < kFlagTables; ++bit) {
    if ((mask & (uint64_t{1} << bit)) == 0) continue;
    std::span<const uint64_t> v = by_flag_[bit];
    auto it = std::lower_bound(v.begin(), v.end(), from);
    if (it != v.end() && (!best || *it < *best)) best = *it;
  }
  return best;
}

std::optional<uint64_t> LogIndex::find_mark(std::string_view text, uint64_t from) const {
  auto found = marks_by_text_.find(std::string(text));
  if (found == marks_by_text_.end()) return std::nullopt;
  const auto& v = found->second;
  auto it = std::lower_bound(v.begin(), v.end(), from);
  if (it == v.end()) return std::nullopt;
  return *it;
}

const std::string* LogIndex::mark_text(uint64_t entry) const {
  auto it = std::lower_bound(marks_.begin(), marks_.end(), entry,
                             [](const auto& m, uint64_t e) { return m.first < e; });
  if (it == marks_.end() || it->first != entry) return nullptr;
  return &it->second;
}

std::vector<uint8_t> LogIndex::serialize() const {
  IndexWriter w;
  w.bytes(kIndexMagic);
  w.u32(kIndexFormat);
  w.u32(sectorsize_);
  w.u64(log_size_);
  w.u64(nr_entries_);
  w.u64(header_checksum_);
  w.u32(scanned_past_end_ ? kScannedPastEnd : 0);
  w.u32(0);
  w.u64(entries_.size());
  for (const auto& e : entries_) {
    w.u64(e.offset);
    w.u64(e.sector);
    w.u64(e.nr_sectors);
    w.u64(e.flags);
  }
  for (std::span<const uint64_t> table : by_flag_) {
    w.u64(table.size());
    for (uint64_t entry : table) w.u64(entry);
  }
  w.u64(marks_.size());
  for (const auto& [entry, text] : marks_) {
    w.u64(entry);
    w.text(text);
  }
  w.u8(tail_error_ ? 1 : 0);
  if (tail_error_) {
    w.u64(tail_error_->entry);
    w.u64(tail_error_->offset);
    w.u32(static_cast<uint32_t>(tail_error_->kind));
    w.text(tail_error_->detail);
  }
  w.u8(scan_stop_ ? 1 : 0);
  if (scan_stop_) {
    w.u64(scan_stop_->entry);
    w.u64(scan_stop_->offset);
    w.text(scan_stop_->reason);
  }
  w.u32((group_super_ ? kGroupSuper : 0) | (group_super_bad_ ? kGroupSuperBad : 0));
  w.u32(group_super_ ? group_super_->index : 0);
  w.u64(group_super_ ? group_super_->group_id : 0);
  w.u64(seqs_.size());
  for (uint64_t seq : seqs_) w.u64(seq);
  w.u8(group_problem_ ? 1 : 0);
  if (group_problem_) {
    w.u64(group_problem_->entry);
    w.text(group_problem_->detail);
  }
  w.u64(lane_hash64(w.out()));
  return std::move(w.out());
}

LogIndex LogIndex::deserialize(std::span<const uint8_t> bytes) { return parse(bytes, nullptr); }

LogIndex LogIndex::load(std::shared_ptr<const bb::common::FileMapping> file) {
  std::span<const uint8_t> bytes = file->bytes();
  return parse(bytes, std::move(file));
}

LogIndex LogIndex::parse(std::span<const uint8_t> bytes,
                         std::shared_ptr<const bb::common::FileMapping> file) {
  if (bytes.size() < kChecksumBytes) throw bad_index("index file is truncated");
  std::span<const uint8_t> body = bytes.first(bytes.size() - kChecksumBytes);
  if (lane_hash64(body) != load_le64(bytes, body.size()))
    throw bad_index("index file checksum mismatch");
  IndexCursor c(body);
  auto magic = c.take(kIndexMagic.size());
  if (!std::equal(magic.begin(), magic.end(), kIndexMagic.begin()))
    throw bad_index("not a blackbox index file");
  if (c.u32() != kIndexFormat) throw bad_index("unsupported index format");
  LogIndex idx;
  idx.sectorsize_ = c.u32();
  if (!is_valid_sectorsize(idx.sectorsize_)) throw bad_index("index has an invalid sectorsize");
  idx.log_size_ = c.u64();
  idx.nr_entries_ = c.u64();
  idx.header_checksum_ = c.u64();
  idx.scanned_past_end_ = (c.u32() & kScannedPastEnd) != 0;
  c.u32();
  uint64_t count = c.u64();
  if (count > c.remaining() / sizeof(IndexedEntry))
    throw bad_index("index entry count exceeds the file");
  std::span<const uint8_t> entry_words = c.words(count * 4);
  std::array<std::span<const uint8_t>, kFlagTables> flag_words;
  for (auto& t : flag_words) t = c.words(c.u64());

  // In place when the words can be read as they lie: a mapped file on a
  // little-endian host (the tables are 8-byte aligned in the file, and a
  // mapping starts on a page). Otherwise decode into owned vectors.
  auto tables = std::make_shared<Tables>();
  bool in_place = file != nullptr && std::endian::native == std::endian::little &&
                  reinterpret_cast<uintptr_t>(entry_words.data()) % alignof(IndexedEntry) == 0;
  if (in_place) {
    tables->file = std::move(file);
    idx.tables_ = tables;
    idx.entries_ = std::span(reinterpret_cast<const IndexedEntry*>(entry_words.data()), count);
    for (size_t bit = 0; bit < kFlagTables; ++bit) {
      idx.by_flag_[bit] = std::span(reinterpret_cast<const uint64_t*>(flag_words[bit].data()),
                                    flag_words[bit].size() / 8);
    }
  } else {
    tables->entries.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      size_t at = i * sizeof(IndexedEntry);
      tables->entries[i] =
          IndexedEntry{load_le64(entry_words, at), load_le64(entry_words, at + 8),
                       load_le64(entry_words, at + 16), load_le64(entry_words, at + 24)};
    }
    for (size_t bit = 0; bit < kFlagTables; ++bit) {
      for (size_t at = 0; at < flag_words[bit].size(); at += 8) {
        tables->by_flag[bit].push_back(load_le64(flag_words[bit], at));
      }
    }
    idx.adopt(std::move(tables));
  }
  idx.check_tables();

  uint64_t nmarks = c.u64();
  if (nmarks != idx.by_flag_[std::countr_zero(kFlagMark)].size()) {
    throw bad_index("index mark table does not match its entries");
  }
  uint64_t prev = 0;
  for (uint64_t m = 0; m < nmarks; ++m) {
    uint64_t entry = c.u64();
    if (entry >= count || (m > 0 && entry <= prev) ||
        (idx.entries_[entry].flags & kFlagMark) == 0) {
      throw bad_index("index mark table does not match its entries");
    }
    prev = entry;
    idx.marks_.emplace_back(entry, c.text(kMaxSectorSize));
  }
  if (c.u8() != 0) {
    IndexTailError t;
    t.entry = c.u64();
    t.offset = c.u64();
    uint32_t kind = c.u32();
    if (kind > static_cast<uint32_t>(LogErrorKind::kUsage))
      throw bad_index("index has an unknown error kind");
    t.kind = static_cast<LogErrorKind>(kind);
    t.detail = c.text(4096);
    idx.tail_error_ = t;
  }
  if (c.u8() != 0) {
    ScanStop s;
    s.entry = c.u64();
    s.offset = c.u64();
    s.reason = c.text(4096);
    idx.scan_stop_ = s;
  }
  uint32_t group_flags = c.u32();
  uint32_t group_index = c.u32();
  uint64_t group_id = c.u64();
  if ((group_flags & kGroupSuper) != 0) {
    idx.group_super_ = GroupTag{kGroupSuperMagic, group_id, 0, group_index, 0};
  }
  idx.group_super_bad_ = (group_flags & kGroupSuperBad) != 0;
  uint64_t nseq = c.u64();
  if (nseq != 0 && nseq != count) throw bad_index("index group table does not match its entries");
  auto seq_words = c.words(nseq);
  idx.seqs_.reserve(nseq);
  for (size_t at = 0; at < seq_words.size(); at += 8) idx.seqs_.push_back(load_le64(seq_words, at));
  if (c.u8() != 0) {
    GroupProblem p;
    p.entry = c.u64();
    p.detail = c.text(4096);
    idx.group_problem_ = p;
  }
  if (c.remaining() != 0) throw bad_index("index file has trailing bytes");
  idx.index_marks();
  return idx;
}

// One pass over a parsed index's tables: entry offsets ascend inside the
// log, and each flag table lists exactly the entries having its flag, in
// order. Lookups rely on both; the file checksum alone does not prove them.
void LogIndex::check_tables() const {
  uint64_t min_offset = sectorsize_;
  std::array<uint64_t, kFlagTables> having{};
  for (const IndexedEntry& e : entries_) {
    if (e.offset < min_offset || e.offset > log_size_)
      throw bad_index("index entry offsets out of order");
    min_offset = e.offset + sectorsize_;
    // Most entries are plain writes: skip the per-bit count for them.
    if ((e.flags & ((uint64_t{1} << kFlagTables) - 1)) == 0) continue;
    for (size_t bit = 0; bit < kFlagTables; ++bit) having[bit] += (e.flags >> bit) & 1U;
  }
  for (size_t bit = 0; bit < kFlagTables; ++bit) {
    std::span<const uint64_t> table = by_flag_[bit];
    if (table.size() != having[bit]) throw bad_index("index flag table does not match its entries");
    for (size_t k = 0; k < table.size(); ++k) {
      if (table[k] >= entries_.size() || (k > 0 && table[k] <= table[k - 1]) ||
          ((entries_[table[k]].flags >> bit) & 1U) == 0) {
        throw bad_index("index flag table does not match its entries");
      }
    }
  }
}

void LogIndex::validate(const LogReader& reader, bool full) const {
  const Superblock& sb = reader.superblock();
  if (reader.source().size() != log_size_) {
    throw bad_index(fmt::format("log size changed ({} -> {})", log_size_, reader.source().size()));
  }
  if (sb.sectorsize != sectorsize_ || sb.nr_entries != nr_entries_) {
    throw bad_index("log superblock changed");
  }
  if (reader.options().scan_past_end != scanned_past_end_)
    throw bad_index("index was built in another scan mode");
  if (reader.group_super_bad() != group_super_bad_ ||
      reader.group_super().has_value() != group_super_.has_value() ||
      (group_super_ && (reader.group_super()->group_id != group_super_->group_id ||
                        reader.group_super()->index != group_super_->index))) {
    throw bad_index("log superblock's group tag changed");
  }
  auto check = [&](uint64_t i) -> Entry {
    Entry e = reader.read_entry(i, entries_[i].offset);
    IndexedEntry seen{e.offset, e.header.sector, e.header.nr_sectors, e.header.flags};
    const std::string* text = mark_text(i);
    uint64_t seq = e.group_tag ? e.group_tag->seq : 0;
    if (seen != entries_[i] || (text != nullptr && *text != e.mark) || seq != group_seq(i)) {
      throw bad_index(fmt::format("header of entry {} changed", i));
    }
    return e;
  };
  try {
    if (full) {
      Fnv64 sum;
      for (uint64_t i = 0; i < entries_.size(); ++i) checksum_header(sum, check(i));
      if (sum.value() != header_checksum_) throw bad_index("header checksum mismatch");
      return;
    }
    uint64_t n = entries_.size();
    uint64_t step = std::max<uint64_t>(1, n / kSampleSize);
    for (uint64_t i = 0; i < n; i += step) check(i);
    if (n > 0) check(n - 1);
  } catch (const LogError& err) {
    if (err.kind() == LogErrorKind::kBadIndex) throw;
    throw bad_index(fmt::format("log no longer matches its index: {}", err.what()));
  }
}

}  // namespace bb::logwrites
