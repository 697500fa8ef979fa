// SPDX-License-Identifier: GPL-2.0-or-later
// The stable text decoding of a log that `replay-log --dump` prints and
// tests/vectors/*.dump hold. One line per record, fields in fixed order,
// documented in docs/replay-log.md and tests/vectors/README.md:
//
//   log version=1 sectorsize=512 nr_entries=4 log_bytes=6656
//   entry=0 offset=512 sector=0 nr_sectors=8 flags=0x0(NONE) data_bytes=4096 data_crc32c=0x9b2e3f4c
//   entry=3 offset=6144 sector=0 nr_sectors=0 flags=0x8(MARK) data_bytes=0 data_crc32c=0x00000000
//   mark="mkfs" scan-stop entry=4 offset=6656 reason="end of the log"      (only with
//   scan_past_end) end entries=4 next_offset=6656
// or, instead of the end line, when the log is bad:
//   error entry=2 offset=5632 kind=malformed-entry: garbage in header padding at byte 40 (0x41)
//
// New fields may only ever be appended at the end of a line.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "format/log_error.h"
#include "format/log_reader.h"

namespace bb::logwrites {

enum class DumpFormat { kText, kJson };

// Short stable name of an error kind, e.g. "malformed-entry".
[[nodiscard]] std::string_view error_kind_name(LogErrorKind kind);

// Mark text as the dump shows it: printable ASCII and space kept, `"`, `\` and
// everything else as \xNN, in double quotes.
[[nodiscard]] std::string quote_mark(std::string_view text);

// Decodes the whole log from the start (reading entry data for the CRC).
// Returns the error that ended the dump, if any, after printing it.
std::optional<LogError> dump_log(LogReader& reader, std::FILE* out, DumpFormat format);

// Dumps a log whose superblock could not be read: just the error record.
void dump_superblock_error(const LogError& err, std::FILE* out, DumpFormat format);

}  // namespace bb::logwrites
