// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/shard.h"

#include <charconv>

#include "crashcheck/error.h"

namespace bb::crashcheck {

namespace {

unsigned parse_part(std::string_view text, std::string_view spec) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw CheckerError("--shard '" + std::string(spec) +
                       "': expected K/N, two numbers with 1 <= K <= N (e.g. 2/5)");
  }
  return v;
}

}  // namespace

Shard Shard::parse(std::string_view spec) {
  const size_t slash = spec.find('/');
  if (slash == std::string_view::npos) {
    throw CheckerError("--shard '" + std::string(spec) +
                       "': expected K/N, two numbers with 1 <= K <= N (e.g. 2/5)");
  }
  Shard s{parse_part(spec.substr(0, slash), spec), parse_part(spec.substr(slash + 1), spec)};
  if (s.count == 0 || s.index == 0 || s.index > s.count) {
    throw CheckerError("--shard '" + std::string(spec) +
                       "': K must be from 1 to N and N at least 1 (shards are numbered from 1; a "
                       "Kubernetes JOB_COMPLETION_INDEX counts from 0: add 1)");
  }
  return s;
}

std::pair<size_t, size_t> Shard::range(size_t points) const {
  const auto cut = [&](unsigned k) {
    return static_cast<size_t>(static_cast<unsigned __int128>(points) * k / count);
  };
  return {cut(index - 1), cut(index)};
}

std::string Shard::describe() const { return std::to_string(index) + "/" + std::to_string(count); }

}  // namespace bb::crashcheck
