// SPDX-License-Identifier: GPL-2.0-or-later
// Operation-log lines written by blackbox's daemons, in the shape of the
// kernel targets' lines (dm-targets/bb-oplog.h, docs/operation-log.md):
//
//   <program>: <object> [<CATEGORY>:<id>] <text>
//
// e.g. "dirtylogd: ..9b3c2f1e/1 [STATE:312] log( created -> resumed ) [DM_ULOG_RESUME] 0/16
// regions in sync". `bbctl log` reads them as it reads the kernel's. Every
// id is in the catalogue (tests/oplog-catalogue checks the calls of
// LineWriter::line()), and every call names its level, category and id
// literally, as in the kernel code.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace bb::oplog {

enum class Level : uint8_t { kErr = 3, kWarn = 4, kInfo = 6 };  // syslog priorities

// One line, before the program's prefix.
struct Line {
  Level level = Level::kInfo;
  std::string object;  // the log, device or "-" for the program itself
  std::string category;
  int id = 0;
  std::string text;
};

// "<object> [<CATEGORY>:<id>] <text>".
[[nodiscard]] std::string format_line(const Line& line);

// The kernel's per-device limit, per object: at most `burst` limited lines
// every `interval`; the numbers are the catalogue's (RATE:9's text), so the
// daemons and the kernel hold the same limit.
class RateLimit {
 public:
  using Clock = std::chrono::steady_clock;
  RateLimit();
  // Whether a limited line of `object` may go out now; false counts a drop.
  [[nodiscard]] bool allow(const std::string& object, Clock::time_point now);
  // Lines of `object` dropped since the last call (and forgets them).
  [[nodiscard]] uint64_t take_dropped(const std::string& object);
  [[nodiscard]] unsigned burst() const { return burst_; }
  [[nodiscard]] std::chrono::seconds interval() const { return interval_; }

 private:
  explicit RateLimit(std::pair<unsigned, unsigned> burst_seconds);

  struct Window {
    Clock::time_point start;
    unsigned printed = 0;
    uint64_t dropped = 0;
  };
  unsigned burst_;
  std::chrono::seconds interval_;
  std::map<std::string, Window> windows_;
};

// Writes a program's lines ("<program>: <line>") to a sink.
class LineWriter {
 public:
  // Gets each whole line (prefix included, no newline) and its level.
  using Sink = std::function<void(Level, std::string_view)>;
  // An empty sink drops every line.
  LineWriter(std::string program, Sink sink);

  void line(Level level, const std::string& object, std::string_view category, int id,
            std::string_view text);
  // A per-event line, under the object's rate limit; when it passes after
  // drops, a RATE:9 line says how many were dropped first.
  void limited(Level level, const std::string& object, std::string_view category, int id,
               std::string_view text);
  // Says the drops of `object` not yet said (e.g. when the object goes away).
  void flush_dropped(const std::string& object);

 private:
  void emit(Level level, const std::string& text);

  std::string program_;
  Sink sink_;
  RateLimit limit_;
};

// Whether stderr is the journal stream systemd describes in JOURNAL_STREAM.
[[nodiscard]] bool stderr_is_journal();

// A sink writing each line to stderr and flushing it; when stderr is the
// journal, each line starts with "<N>", the syslog level journald reads.
[[nodiscard]] LineWriter::Sink stderr_sink();

}  // namespace bb::oplog
