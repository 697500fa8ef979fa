// SPDX-License-Identifier: GPL-2.0-or-later
// One kernel log line of blackbox's targets, parsed (docs/operation-log.md):
//
//   device-mapper: <target>: <device> [<CATEGORY>:<id>] <text>
//
// parse_kernel_line() tells three kinds of line apart: not ours (another
// subsystem's: nullopt), ours and in the catalogue (`problem` empty), and
// ours but matching nothing in the catalogue (`problem` says why: an
// unknown id, another category or target than the catalogue's, a text that
// does not fit the id's pattern, or a line of our targets without the
// `[CATEGORY:id]` shape). Lines of the last kind are reported by
// `bbctl log`, never dropped.
//
// The lines a timeline is built from are also decoded into their fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bb::oplog {

// `<command> received (seq N)`, `message received (seq N): w1 w2 ...` (CMD 1, 3).
struct CommandReceived {
  std::string command;  // ctr, dtr, message, presuspend, postsuspend, resume
  uint32_t seq = 0;
  std::string words;  // a message's first words as printed ("fail_leg 1")
};

// `<command> done: <result> (seq N, M ms)[: <reason>]` (CMD 2, 4, 5).
struct CommandDone {
  std::string command;
  uint32_t seq = 0;
  int result = 0;  // 0 or -errno
  uint64_t ms = 0;
  std::string reason;  // ctr's refusal (CMD 4)
};

// `<object>( <old> -> <new> ) [<cause>]<detail>` (every STATE line).
struct StateChange {
  std::string object;  // log, leg0, leg1, ..., resync
  std::string from;
  std::string to;
  std::string cause;
  std::string detail;  // the text after the cause, without its leading space
};

// `resync started (<why>): <R> of <T> regions (<K> KiB) from leg <S> to <legs>[ (paused)]`.
struct ResyncStarted {
  std::string why;
  uint64_t regions = 0;
  uint64_t total = 0;
  uint64_t kib = 0;
  int source = 0;
  std::string targets;  // "1" or "1,2"
  bool paused = false;
};

// `resync copied regions a-b` / `resync skipped in-sync regions a-b`.
struct ResyncRange {
  bool copied = false;
  uint64_t first = 0;
  uint64_t last = 0;
};

// `resync progress: P% (c of R regions, K KiB; r K/sec)`.
struct ResyncProgress {
  unsigned percent = 0;
  uint64_t copied = 0;
  uint64_t regions = 0;
  uint64_t kib = 0;
  uint64_t rate = 0;
};

// `resync done: ...` / `resync stopped (<why>): ...` (SYNC 236, 237).
struct ResyncEnded {
  bool done = false;
  std::string why;  // empty when done
  uint64_t regions = 0;
  uint64_t kib = 0;
  uint64_t seconds = 0;
  uint64_t paused_seconds = 0;
  uint64_t rate = 0;
};

// `rate limit: <n> lines dropped (...)` (RATE 9).
struct RateDropped {
  uint64_t lines = 0;
};

using Fields = std::variant<std::monostate, CommandReceived, CommandDone, StateChange,
                            ResyncStarted, ResyncRange, ResyncProgress, ResyncEnded, RateDropped>;

struct KernelLine {
  std::string target;    // bb-log-writes, bb-mirror
  std::string device;    // major:minor, or "-" for the module
  std::string category;  // empty if the line has no [CATEGORY:id]
  int id = 0;
  std::string text;     // after "] "
  std::string problem;  // empty: a catalogued line
  Fields fields;        // decoded for the timeline's lines
};

// Parses the message of one kernel log line, or of a daemon's ("dirtylogd: ..."),
// without timestamp or level prefix.
[[nodiscard]] std::optional<KernelLine> parse_kernel_line(std::string_view message);

}  // namespace bb::oplog
