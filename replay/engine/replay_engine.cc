// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine/replay_engine.h"

#include <sys/uio.h>

#include <algorithm>
#include <climits>
#include <vector>

#include <fmt/format.h>

#include "engine/replay_error.h"
#include "format/log_error.h"

namespace bb::replay {
namespace {

using bb::logwrites::Entry;
using bb::logwrites::LogError;
using bb::logwrites::LogErrorKind;

// Applies entries while keeping syscalls few: the log is read in large
// windows, and data for consecutive entries that land contiguously on the
// target is written with one pwritev.
class EntryApplier {
 public:
  EntryApplier(const bb::logwrites::LogReader& reader, const bb::logwrites::LogIndex& index,
               ReplayTarget& target, const ReplayOptions& options)
      : reader_(reader),
        index_(index),
        target_(target),
        options_(options),
        ss_(reader.sectorsize()) {
    window_.resize(std::max<size_t>(options.buffer_bytes, ss_));
  }

  void apply(uint64_t i) {
    const IndexedEntry& indexed = index_.at(i);
    Entry e = load_entry(i, indexed.offset);
    if (IndexedEntry{e.offset, e.header.sector, e.header.nr_sectors, e.header.flags} != indexed) {
      throw LogError(LogErrorKind::kBadIndex, "log changed since it was indexed", i,
                     indexed.offset);
    }
    ++stats_.entries;
    const bool outside = e.header.nr_sectors != 0 &&
                         (e.header.sector + e.header.nr_sectors <= options_.start_sector ||
                          e.header.sector > options_.end_sector);
    const bool is_discard = e.has(bb::logwrites::kFlagDiscard);
    const bool skip = outside || (is_discard && !options_.apply_discards);
    trace(e, skip);
    if (skip) {
      ++stats_.skipped;
    } else if (is_discard) {
      discard(e);
    } else if (e.data_bytes > 0) {
      write_data(e);
    }
    if (options_.is_checkpoint && options_.is_checkpoint(i, indexed)) {
      issue_pending();
      if (options_.sync_at_checkpoint) target_.sync();
      if (options_.on_checkpoint) options_.on_checkpoint(i);
    }
  }

  // Issues pending writes; called at the end and before errors propagate.
  void issue_pending() {
    if (pending_.empty()) return;
    std::vector<iovec> iov;
    iov.swap(pending_);
    try {
      target_.writev(pending_target_, std::move(iov));
    } catch (const ReplayError& err) {
      throw ReplayError(err.detail(), pending_entry_, pending_log_offset_);
    }
    pending_bytes_ = 0;
  }

  const ReplayStats& stats() const { return stats_; }

 private:
  // Reads the header into the window (refilling it at the header if
  // needed) and validates it against the log.
  Entry load_entry(uint64_t i, uint64_t offset) {
    uint64_t log_size = reader_.source().size();
    if (offset < window_start_ || offset + ss_ > window_start_ + window_len_) {
      issue_pending();
      window_start_ = offset;
      window_len_ = static_cast<size_t>(
          std::min<uint64_t>(window_.size(), offset < log_size ? log_size - offset : 0));
      if (window_len_ < ss_) {
        throw LogError(LogErrorKind::kTruncated, "log ends inside the entry header", i, offset);
      }
      reader_.source().read_exact(offset, std::span(window_).first(window_len_));
    }
    auto header = std::span(window_).subspan(static_cast<size_t>(offset - window_start_), ss_);
    return bb::logwrites::parse_entry(i, offset, header, ss_, log_size);
  }

  void trace(const Entry& e, bool skip) {
    if (options_.verbose < 1 || (skip && options_.verbose < 2)) return;
    fmt::print(options_.verbose_out, "{} {}@{}: sector {}, size {}, flags 0x{:x}({})\n",
               skip ? "skipping" : "replaying", e.index, e.data_offset / ss_, e.header.sector,
               e.header.nr_sectors * ss_, e.header.flags,
               bb::logwrites::flags_to_string(e.header.flags));
  }

  void discard(const Entry& e) {
    issue_pending();
    uint64_t bytes = e.header.nr_sectors * ss_;
    try {
      stats_.zero_method = target_.zero(e.header.sector * ss_, bytes);
    } catch (const ReplayError& err) {
      throw ReplayError(err.detail(), e.index, e.offset);
    }
    ++stats_.discards;
    stats_.bytes_zeroed += bytes;
  }

  void write_data(const Entry& e) {
    uint64_t target_offset = e.header.sector * ss_;
    ++stats_.writes;
    stats_.bytes_written += e.data_bytes;
    if (e.data_bytes > window_.size()) {
      stream_data(e, target_offset);
      return;
    }
    if (e.data_offset + e.data_bytes > window_start_ + window_len_) {
      // Refill at the data (validated to lie inside the log).
      issue_pending();
      window_start_ = e.data_offset;
      window_len_ = static_cast<size_t>(
          std::min<uint64_t>(window_.size(), reader_.source().size() - e.data_offset));
      reader_.source().read_exact(e.data_offset, std::span(window_).first(window_len_));
    }
    if (!pending_.empty() &&
        (pending_target_ + pending_bytes_ != target_offset || pending_.size() >= IOV_MAX)) {
      issue_pending();
    }
    if (pending_.empty()) {
      pending_target_ = target_offset;
      pending_entry_ = e.index;
      pending_log_offset_ = e.offset;
    }
    pending_.push_back(
        iovec{window_.data() + (e.data_offset - window_start_), static_cast<size_t>(e.data_bytes)});
    pending_bytes_ += e.data_bytes;
  }

  // Entries larger than the window are copied in window-sized pieces.
  void stream_data(const Entry& e, uint64_t target_offset) {
    issue_pending();
    window_len_ = 0;  // the window is reused as a bounce buffer
    for (uint64_t done = 0; done < e.data_bytes;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(window_.size(), e.data_bytes - done));
      auto chunk = std::span(window_).first(n);
      reader_.source().read_exact(e.data_offset + done, chunk);
      try {
        target_.write(target_offset + done, chunk);
      } catch (const ReplayError& err) {
        throw ReplayError(err.detail(), e.index, e.offset);
      }
      done += n;
    }
  }

  const bb::logwrites::LogReader& reader_;
  const bb::logwrites::LogIndex& index_;
  ReplayTarget& target_;
  const ReplayOptions& options_;
  uint32_t ss_;
  std::vector<uint8_t> window_;
  uint64_t window_start_ = 0;
  size_t window_len_ = 0;
  std::vector<iovec> pending_;
  uint64_t pending_target_ = 0;
  uint64_t pending_bytes_ = 0;
  uint64_t pending_entry_ = 0;
  uint64_t pending_log_offset_ = 0;
  ReplayStats stats_;
};

}  // namespace

ReplayStats replay_entries(const bb::logwrites::LogReader& reader,
                           const bb::logwrites::LogIndex& index, ReplayTarget& target,
                           uint64_t first, uint64_t last, const ReplayOptions& options) {
  EntryApplier applier(reader, index, target, options);
  uint64_t end = std::min<uint64_t>(last, index.size() == 0 ? 0 : index.size() - 1);
  try {
    for (uint64_t i = first; i <= end && i < index.size(); ++i) {
      applier.apply(i);
      if (options.progress && ((i - first) & 0x3ff) == 0) {
        options.progress(i - first + 1, applier.stats().bytes_written);
      }
    }
  } catch (...) {
    // Earlier entries were validated and must reach the target.
    applier.issue_pending();
    throw;
  }
  applier.issue_pending();
  if (options.progress) options.progress(applier.stats().entries, applier.stats().bytes_written);
  if (last >= index.size()) {
    if (index.tail_error()) throw index.tail_error()->error();
    if (last != std::numeric_limits<uint64_t>::max()) {
      throw LogError(
          LogErrorKind::kUsage,
          fmt::format("entry {} is beyond the end of the log ({} entries)", last, index.size()));
    }
  }
  return applier.stats();
}

LogSession::LogSession(const std::string& log_path, const SessionOptions& options)
    : source_(std::make_unique<bb::logwrites::FileLogSource>(log_path)),
      reader_(std::make_unique<bb::logwrites::LogReader>(*source_, options.reader)) {
  cached_ = bb::logwrites::load_or_build_index(*source_, *reader_, options.index);
}

bb::logwrites::Entry LogSession::entry(uint64_t i) const {
  return reader_->read_entry(i, index().at(i).offset);
}

ReplayStats LogSession::replay(ReplayTarget& target, uint64_t first, uint64_t last,
                               const ReplayOptions& options) const {
  return replay_entries(*reader_, index(), target, first, last, options);
}

}  // namespace bb::replay
