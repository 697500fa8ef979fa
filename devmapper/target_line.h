// SPDX-License-Identifier: GPL-2.0-or-later
// A device-mapper table is a list of target lines, each mapping a range of
// the device (in 512-byte sectors) to a target type with its parameters:
//
//   <start> <length> <type> [<params>...]      e.g. "0 2048 linear 8:16 0"
//
// The same shape describes a status line (params = the target's status
// fields). The kernel prints a table back in its own canonical form (device
// paths become major:minor), so a table read back equals the one loaded
// only after that translation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bb::devmapper {

struct TargetLine {
  uint64_t start = 0;   // first sector of the range
  uint64_t length = 0;  // sectors
  std::string type;     // target type: "linear", "snapshot", "log-writes", ...
  std::string params;   // the rest of the line, spaces inside kept; may be empty

  bool operator==(const TargetLine&) const = default;
};

// Parses one line. Leading and trailing blanks are ignored; `params` is
// what follows the type after the blanks that separate it. Throws
// std::invalid_argument naming the field that is wrong (missing type, a
// start or length that is not a decimal number of sectors or overflows).
[[nodiscard]] TargetLine parse_target_line(std::string_view text);

// Parses a table: one target line per text line; blank lines are skipped.
// A bad line throws std::invalid_argument that says which line (1-based).
[[nodiscard]] std::vector<TargetLine> parse_table(std::string_view text);

// "<start> <length> <type>[ <params>]".
[[nodiscard]] std::string format_target_line(const TargetLine& line);

// The lines joined with "\n" (no trailing newline): what parse_table reads.
[[nodiscard]] std::string format_table(const std::vector<TargetLine>& table);

}  // namespace bb::devmapper
