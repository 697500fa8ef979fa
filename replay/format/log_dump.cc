// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_dump.h"

#include <vector>

#include <fmt/format.h>

#include "common/json.h"

#include "format/log_checksum.h"

namespace bb::logwrites {
namespace {

constexpr uint64_t kCrcChunk = 1 << 20;

uint32_t data_crc(const LogReader& reader, const Entry& e, std::vector<uint8_t>& buf) {
  uint32_t crc = 0;
  for (uint64_t done = 0; done < e.data_bytes;) {
    uint64_t n = std::min(kCrcChunk, e.data_bytes - done);
    buf.resize(n);
    reader.source().read_exact(e.data_offset + done, buf);
    crc = crc32c(buf, crc);
    done += n;
  }
  return crc;
}

void print_error(const LogError& err, std::FILE* out, DumpFormat format, bool first_json_field) {
  if (format == DumpFormat::kText) {
    std::string where;
    if (err.entry()) where += fmt::format(" entry={}", *err.entry());
    if (err.offset()) where += fmt::format(" offset={}", *err.offset());
    fmt::print(out, "error{} kind={}: {}\n", where, error_kind_name(err.kind()), err.detail());
    return;
  }
  fmt::print(out, "{}\"error\":{{", first_json_field ? "" : ",");
  if (err.entry()) fmt::print(out, "\"entry\":{},", *err.entry());
  if (err.offset()) fmt::print(out, "\"offset\":{},", *err.offset());
  fmt::print(out, "\"kind\":\"{}\",\"message\":{}}}", error_kind_name(err.kind()),
             common::json_string(err.detail(), common::JsonBytes::kAscii));
}

}  // namespace

std::string_view error_kind_name(LogErrorKind kind) {
  switch (kind) {
    case LogErrorKind::kIo:
      return "io";
    case LogErrorKind::kTruncated:
      return "truncated";
    case LogErrorKind::kBadMagic:
      return "bad-magic";
    case LogErrorKind::kBadVersion:
      return "bad-version";
    case LogErrorKind::kBadSectorSize:
      return "bad-sectorsize";
    case LogErrorKind::kMalformedEntry:
      return "malformed-entry";
    case LogErrorKind::kOverflow:
      return "overflow";
    case LogErrorKind::kBadIndex:
      return "bad-index";
    case LogErrorKind::kUsage:
      return "usage";
  }
  return "unknown";
}

std::string quote_mark(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += ch;
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out + "\"";
}

std::optional<LogError> dump_log(LogReader& reader, std::FILE* out, DumpFormat format) {
  const Superblock& sb = reader.superblock();
  const bool json = format == DumpFormat::kJson;
  if (json) {
    fmt::print(out, "{{\"version\":{},\"sectorsize\":{},\"nr_entries\":{},\"log_bytes\":{},",
               sb.version, sb.sectorsize, sb.nr_entries, reader.source().size());
    if (const auto& g = reader.group_super()) {
      fmt::print(out, "\"group_id\":\"0x{:016x}\",\"group_index\":{},", g->group_id, g->index);
    }
    if (reader.group_super_bad()) fmt::print(out, "\"group_tag\":\"bad\",");
    fmt::print(out, "\"entries\":[");
  } else {
    fmt::print(out, "log version={} sectorsize={} nr_entries={} log_bytes={}", sb.version,
               sb.sectorsize, sb.nr_entries, reader.source().size());
    // Group logs only (docs/log-format.md "Groups").
    if (const auto& g = reader.group_super())
      fmt::print(out, " group_id=0x{:016x} group_index={}", g->group_id, g->index);
    if (reader.group_super_bad()) fmt::print(out, " group_tag=bad");
    fmt::print(out, "\n");
  }
  reader.seek(0, sb.sectorsize);
  std::vector<uint8_t> buf;
  std::optional<LogError> error;
  uint64_t count = 0;
  try {
    while (auto e = reader.next()) {
      uint32_t crc = data_crc(reader, *e, buf);
      const EntryHeader& h = e->header;
      if (json) {
        fmt::print(out,
                   "{}{{\"entry\":{},\"offset\":{},\"sector\":{},\"nr_sectors\":{},\"flags\":{},"
                   "\"flag_names\":\"{}\","
                   "\"data_bytes\":{},\"data_crc32c\":\"0x{:08x}\"",
                   count == 0 ? "" : ",", e->index, e->offset, h.sector, h.nr_sectors, h.flags,
                   flags_to_string(h.flags), e->data_bytes, crc);
        if (e->has(kFlagMark))
          fmt::print(out, ",\"mark\":{}", common::json_string(e->mark, common::JsonBytes::kAscii));
        if (e->group_tag) {
          fmt::print(out, ",\"group_seq\":{},\"group_id\":\"0x{:016x}\",\"group_index\":{}",
                     e->group_tag->seq, e->group_tag->group_id, e->group_tag->index);
        }
        if (e->group_tag_bad) fmt::print(out, ",\"group_tag\":\"bad\"");
        fmt::print(out, "}}");
      } else {
        fmt::print(out,
                   "entry={} offset={} sector={} nr_sectors={} flags=0x{:x}({}) data_bytes={} "
                   "data_crc32c=0x{:08x}",
                   e->index, e->offset, h.sector, h.nr_sectors, h.flags, flags_to_string(h.flags),
                   e->data_bytes, crc);
        if (e->has(kFlagMark)) fmt::print(out, " mark={}", quote_mark(e->mark));
        // The group id and index are on the log line; an entry whose tag
        // names another group or device shows them.
        if (const auto& t = e->group_tag) {
          fmt::print(out, " group_seq={}", t->seq);
          const auto& g = reader.group_super();
          if (!g || g->group_id != t->group_id || g->index != t->index)
            fmt::print(out, " group_id=0x{:016x} group_index={}", t->group_id, t->index);
        }
        if (e->group_tag_bad) fmt::print(out, " group_tag=bad");
        fmt::print(out, "\n");
      }
      ++count;
    }
  } catch (const LogError& err) {
    error = err;
  }
  if (json) fmt::print(out, "]");
  if (const auto& stop = reader.scan_stop()) {
    if (json) {
      fmt::print(out, ",\"scan_stop\":{{\"entry\":{},\"offset\":{},\"reason\":{}}}", stop->entry,
                 stop->offset, common::json_string(stop->reason, common::JsonBytes::kAscii));
    } else {
      fmt::print(out, "scan-stop entry={} offset={} reason={}\n", stop->entry, stop->offset,
                 quote_mark(stop->reason));
    }
  }
  if (error) {
    print_error(*error, out, format, false);
  } else if (json) {
    fmt::print(out, ",\"end\":{{\"entries\":{},\"next_offset\":{}}}", count, reader.next_offset());
  } else {
    fmt::print(out, "end entries={} next_offset={}\n", count, reader.next_offset());
  }
  if (json) fmt::print(out, "}}\n");
  return error;
}

void dump_superblock_error(const LogError& err, std::FILE* out, DumpFormat format) {
  if (format == DumpFormat::kJson) {
    fmt::print(out, "{{");
    print_error(err, out, format, true);
    fmt::print(out, "}}\n");
  } else {
    print_error(err, out, format, true);
  }
}

}  // namespace bb::logwrites
