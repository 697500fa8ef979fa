// SPDX-License-Identifier: GPL-2.0-or-later
// Where `bbctl log` gets kernel log lines from, each turned into a record:
// a time (seconds since boot, when the source gives one) and the message.
//
//   - the kernel's ring buffer itself, /dev/kmsg (what `dmesg` shows);
//   - text saved from `dmesg` (with or without -x, -T, -H), `journalctl -k`,
//     a serial console, or a test's log: the message starts at
//     "device-mapper: ", the time is the "[  12.345678]" before it, if any;
//   - `journalctl -k -o json` (one JSON object per line): MESSAGE, and
//     _SOURCE_MONOTONIC_TIMESTAMP (the kernel's time; __MONOTONIC_TIMESTAMP
//     when absent), in microseconds.
// Text and JSON lines may be mixed: each line is read by its first byte.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bb::oplog {

struct Record {
  std::optional<double> time;  // seconds since boot
  std::string message;
  uint64_t line_no = 0;  // in the input (the kmsg sequence number for /dev/kmsg)
};

// One line of text or journal JSON. A JSON line that does not parse, or has
// no MESSAGE, throws std::runtime_error naming what is wrong.
[[nodiscard]] Record parse_input_line(std::string_view line);

// Every line of `in`; errors name the line number.
[[nodiscard]] std::vector<Record> read_records(std::istream& in);

// Every record now in the kernel's ring buffer (/dev/kmsg, or `path`)
// since the last clear (`dmesg -C`; as dmesg shows them), without waiting
// for more. Throws bb::common::SystemError if it cannot be
// opened (EPERM: kernel.dmesg_restrict and no CAP_SYSLOG).
[[nodiscard]] std::vector<Record> read_kmsg(const std::string& path = "/dev/kmsg");

// One record as /dev/kmsg gives it ("<prio>,<seq>,<usec>,<flags>;<message>"
// and continuation lines); exposed for the tests and the fuzzer.
[[nodiscard]] std::optional<Record> parse_kmsg_record(std::string_view record);

// A flat JSON object's members: strings (unescaped), numbers and literals
// as written, arrays of numbers as the bytes they list (journald writes a
// MESSAGE that is not UTF-8 that way); nested objects are skipped. Throws
// std::runtime_error on malformed JSON. Exposed for the tests and fuzzer.
[[nodiscard]] std::map<std::string, std::string> parse_json_members(std::string_view json);

}  // namespace bb::oplog
