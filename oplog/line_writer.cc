// SPDX-License-Identifier: GPL-2.0-or-later
#include "oplog/line_writer.h"

#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <regex>
#include <stdexcept>

#include <fmt/format.h>

#include "oplog/catalogue.h"

namespace bb::oplog {

namespace {

constexpr int kRateId = 9;

// "at most <burst> every <seconds> s", from the catalogue's RATE:9 line.
std::pair<unsigned, unsigned> catalogue_limit() {
  const CatalogueEntry* e = find_entry(kRateId);
  std::smatch m;
  static const std::regex numbers(R"(at most (\d+) every (\d+) s)");  // NOLINT(cert-err58-cpp)
  if (e == nullptr || !std::regex_search(e->text, m, numbers))
    throw std::runtime_error("the catalogue's RATE:9 line does not say its limit");
  return {static_cast<unsigned>(std::stoul(m[1].str())),
          static_cast<unsigned>(std::stoul(m[2].str()))};
}

}  // namespace

std::string format_line(const Line& line) {
  return fmt::format("{} [{}:{}] {}", line.object.empty() ? "-" : line.object, line.category,
                     line.id, line.text);
}

RateLimit::RateLimit() : RateLimit(catalogue_limit()) {}

RateLimit::RateLimit(std::pair<unsigned, unsigned> burst_seconds)
    : burst_(burst_seconds.first), interval_(burst_seconds.second) {}

bool RateLimit::allow(const std::string& object, Clock::time_point now) {
  Window& w = windows_[object];
  if (w.printed == 0 || now - w.start >= interval_) {
    w.start = now;
    w.printed = 0;
  }
  if (w.printed >= burst_) {
    w.dropped++;
    return false;
  }
  w.printed++;
  return true;
}

uint64_t RateLimit::take_dropped(const std::string& object) {
  const auto it = windows_.find(object);
  if (it == windows_.end()) return 0;
  const uint64_t n = it->second.dropped;
  it->second.dropped = 0;
  return n;
}

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");  // NOLINT(concurrency-mt-unsafe)
  if (stream == nullptr) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return fmt::format("{}:{}", st.st_dev, st.st_ino) == stream;
}

LineWriter::Sink stderr_sink() {
  const bool journal = stderr_is_journal();
  return [journal](Level level, std::string_view text) {
    if (journal) std::cerr << '<' << static_cast<int>(level) << '>';
    std::cerr << text << std::endl;
  };
}

LineWriter::LineWriter(std::string program, Sink sink)
    : program_(std::move(program)), sink_(std::move(sink)) {}

void LineWriter::emit(Level level, const std::string& text) {
  if (sink_) sink_(level, fmt::format("{}: {}", program_, text));
}

void LineWriter::line(Level level, const std::string& object, std::string_view category, int id,
                      std::string_view text) {
  emit(level, format_line({level, object, std::string(category), id, std::string(text)}));
}

void LineWriter::flush_dropped(const std::string& object) {
  const uint64_t n = limit_.take_dropped(object);
  if (n == 0) return;
  line(Level::kWarn, object, "RATE", 9,
       fmt::format("rate limit: {} lines dropped (at most {} every {} s)", n, limit_.burst(),
                   limit_.interval().count()));
}

void LineWriter::limited(Level level, const std::string& object, std::string_view category, int id,
                         std::string_view text) {
  if (!limit_.allow(object, RateLimit::Clock::now())) return;
  flush_dropped(object);
  line(level, object, category, id, text);
}

}  // namespace bb::oplog
