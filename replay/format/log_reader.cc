// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_reader.h"

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "format/log_error.h"

namespace bb::logwrites {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

LogError malformed(const std::string& detail, uint64_t index, uint64_t offset) {
  return LogError(LogErrorKind::kMalformedEntry, detail, index, offset);
}

// The text the kernel copied with strlen(): stop at an embedded NUL as
// upstream's strncmp-based matching does.
std::string mark_text(std::span<const uint8_t> sector, uint64_t data_len) {
  auto text = sector.subspan(kMarkTextOffset, data_len);
  auto end = std::find(text.begin(), text.end(), uint8_t{0});
  return std::string(text.begin(), end);
}

}  // namespace

Superblock parse_superblock(std::span<const uint8_t> bytes) {
  if (bytes.size() < kSuperblockBytes) {
    throw LogError(LogErrorKind::kTruncated,
                   fmt::format("log is {} bytes, too short for a superblock ({} bytes)",
                               bytes.size(), kSuperblockBytes),
                   std::nullopt, 0);
  }
  Superblock sb = decode_superblock(bytes);
  if (sb.magic != kMagic) {
    throw LogError(
        LogErrorKind::kBadMagic,
        fmt::format("bad magic 0x{:x}, expected 0x{:x} (not a log-writes log)", sb.magic, kMagic),
        std::nullopt, 0);
  }
  if (sb.version != kVersion) {
    throw LogError(LogErrorKind::kBadVersion,
                   fmt::format("version mismatch, wanted {}, have {}", kVersion, sb.version),
                   std::nullopt, 8);
  }
  if (!is_valid_sectorsize(sb.sectorsize)) {
    throw LogError(LogErrorKind::kBadSectorSize,
                   fmt::format("bad sectorsize {}: must be a power of two from {} to {}",
                               sb.sectorsize, kMinSectorSize, kMaxSectorSize),
                   std::nullopt, 24);
  }
  return sb;
}

Entry parse_entry(uint64_t index, uint64_t offset, std::span<const uint8_t> sector,
                  uint32_t sectorsize, uint64_t log_size, bool v1_only) {
  if (offset > log_size || log_size - offset < sectorsize) {
    throw LogError(LogErrorKind::kTruncated,
                   fmt::format("log ends inside the entry header (log is {} bytes)", log_size),
                   index, offset);
  }
  Entry e;
  e.index = index;
  e.offset = offset;
  e.header = decode_entry_header(sector);
  const EntryHeader& h = e.header;
  if (h.flags == 0 && h.nr_sectors == 0) {
    throw malformed("all-zero entry (no flags, no sectors): not a logged entry", index, offset);
  }
  size_t padding_start = kMarkTextOffset;
  size_t padding_end = sectorsize;
  if (!v1_only) {
    GroupTag tag;
    TagState state = read_group_tag(sector, kGroupTagMagic, &tag);
    if (state != TagState::kNone) padding_end = sectorsize - kGroupTagBytes;
    if (state == TagState::kValid) e.group_tag = tag;
    e.group_tag_bad = state == TagState::kBadChecksum;
  }
  if ((h.flags & kFlagMark) != 0) {
    if (h.data_len > sectorsize - kMarkTextOffset) {
      throw malformed(fmt::format("mark text length {} does not fit in a {}-byte header",
                                  h.data_len, sectorsize),
                      index, offset);
    }
    if (h.data_len > padding_end - kMarkTextOffset) {
      throw malformed(fmt::format("mark text length {} runs into the group tag", h.data_len), index,
                      offset);
    }
    padding_start += h.data_len;
    e.mark = mark_text(sector, h.data_len);
  } else if (h.data_len != 0) {
    throw malformed(
        fmt::format("data_len {} on a non-mark entry (inline data is not supported)", h.data_len),
        index, offset);
  }
  if (v1_only) padding_start = padding_end;
  auto padding = sector.subspan(padding_start, padding_end - padding_start);
  auto garbage = std::find_if(padding.begin(), padding.end(), [](uint8_t b) { return b != 0; });
  if (garbage != padding.end()) {
    throw malformed(
        fmt::format("garbage in header padding at byte {} (0x{:02x})",
                    padding_start + static_cast<size_t>(garbage - padding.begin()), *garbage),
        index, offset);
  }
  if (h.nr_sectors > kU64Max / sectorsize || h.sector > kU64Max / sectorsize - h.nr_sectors) {
    throw LogError(
        LogErrorKind::kOverflow,
        fmt::format("sector range {}+{} overflows 64-bit byte offsets", h.sector, h.nr_sectors),
        index, offset);
  }
  e.data_offset = offset + sectorsize;
  e.data_bytes = logged_data_bytes(h, sectorsize);
  if (log_size - e.data_offset < e.data_bytes) {
    throw LogError(
        LogErrorKind::kTruncated,
        fmt::format("entry data ({} bytes) runs past the end of the log (log is {} bytes)",
                    e.data_bytes, log_size),
        index, offset);
  }
  return e;
}

LogReader::LogReader(const LogSource& source, ReaderOptions options)
    : source_(source), options_(options) {
  std::array<uint8_t, kSuperblockStructBytes> raw{};
  size_t n = static_cast<size_t>(std::min<uint64_t>(source.size(), raw.size()));
  source.read_exact(0, std::span(raw).first(n));
  sb_ = parse_superblock(std::span(raw).first(n));
  next_offset_ = sb_.sectorsize;
  header_.resize(sb_.sectorsize);
  if (!options_.v1_only && source.size() >= sb_.sectorsize) {
    source.read_exact(0, header_);
    GroupTag tag;
    TagState state = read_group_tag(header_, kGroupSuperMagic, &tag);
    if (state == TagState::kValid) group_super_ = tag;
    group_super_bad_ = state == TagState::kBadChecksum;
  }
}

Entry LogReader::read_entry(uint64_t index, uint64_t offset) const {
  if (offset > source_.size() || source_.size() - offset < sb_.sectorsize) {
    throw LogError(
        LogErrorKind::kTruncated,
        fmt::format("log ends inside the entry header (log is {} bytes)", source_.size()), index,
        offset);
  }
  source_.read_exact(offset, header_);
  return parse_entry(index, offset, header_, sb_.sectorsize, source_.size(), options_.v1_only);
}

std::optional<Entry> LogReader::next() {
  if (scan_stop_) return std::nullopt;
  if (next_index_ >= sb_.nr_entries) {
    if (!options_.scan_past_end) return std::nullopt;
    return scan_one();
  }
  Entry e = read_entry(next_index_, next_offset_);
  next_index_ = e.index + 1;
  next_offset_ = e.next_offset();
  return e;
}

// Past nr_entries nothing marks the end; stale entries from an earlier
// session look valid. Stop at the first header that fails validation or
// carries flags the kernel never writes.
std::optional<Entry> LogReader::scan_one() {
  auto stop = [&](std::string reason) -> std::optional<Entry> {
    scan_stop_ = ScanStop{next_index_, next_offset_, std::move(reason)};
    return std::nullopt;
  };
  if (next_offset_ >= source_.size()) return stop("end of the log");
  try {
    Entry e = read_entry(next_index_, next_offset_);
    if ((e.header.flags & ~kKnownFlags) != 0) {
      return stop(fmt::format("unknown flags 0x{:x}", e.header.flags));
    }
    next_index_ = e.index + 1;
    next_offset_ = e.next_offset();
    return e;
  } catch (const LogError& err) {
    return stop(err.detail());
  }
}

void LogReader::seek(uint64_t index, uint64_t offset) {
  next_index_ = index;
  next_offset_ = offset;
  scan_stop_.reset();
}

}  // namespace bb::logwrites
