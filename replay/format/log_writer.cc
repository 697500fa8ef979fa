// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/file_info.h"
#include "format/log_error.h"

namespace bb::logwrites {

void MemoryLogSink::write_at(uint64_t offset, std::span<const uint8_t> bytes) {
  if (bytes_.size() < offset + bytes.size()) bytes_.resize(offset + bytes.size());
  std::copy(bytes.begin(), bytes.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(offset));
}

FileLogSink::FileLogSink(const std::string& path) : path_(path) {
  bool block = bb::common::is_block_device(path);
  int flags = O_WRONLY | O_CLOEXEC | (block ? 0 : O_CREAT | O_TRUNC);
  fd_ = bb::common::FileDescriptor(::open(path.c_str(), flags, 0644));
  if (!fd_) {
    throw LogError(LogErrorKind::kIo,
                   fmt::format("cannot create log {}: {}", path, std::strerror(errno)));
  }
}

void FileLogSink::write_at(uint64_t offset, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd_.get(), bytes.data() + done, bytes.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw LogError(LogErrorKind::kIo,
                     fmt::format("write to log {} failed: {}", path_,
                                 n < 0 ? std::strerror(errno) : "no space"),
                     std::nullopt, offset + done);
    }
    done += static_cast<size_t>(n);
  }
}

LogWriter::LogWriter(LogSink& sink, WriterOptions options)
    : sink_(sink), options_(options), offset_(options.sectorsize), sector_(options.sectorsize) {
  if (!is_valid_sectorsize(options.sectorsize)) {
    throw LogError(LogErrorKind::kUsage, fmt::format("invalid sectorsize {}", options.sectorsize));
  }
  if (options_.group) {
    if (options_.group->index >= kGroupMaxDevices)
      throw LogError(LogErrorKind::kUsage, "group device index must be below 64");
    if (!options_.group->clock) options_.group->clock = std::make_shared<GroupClock>();
  }
  write_superblock(0);
}

void LogWriter::write_superblock(uint64_t nr_entries) {
  std::fill(sector_.begin(), sector_.end(), uint8_t{0});
  Superblock sb;
  sb.nr_entries = nr_entries;
  sb.sectorsize = options_.sectorsize;
  sb.padding = options_.superblock_padding;
  encode_superblock(sb, sector_);
  if (options_.group) {
    write_group_tag(
        sector_, GroupTag{kGroupSuperMagic, options_.group->group_id, 0, options_.group->index, 0});
  }
  sink_.write_at(0, sector_);
}

uint64_t LogWriter::append(const EntryHeader& h, std::span<const uint8_t> header_tail,
                           std::span<const uint8_t> data) {
  std::fill(sector_.begin(), sector_.end(), uint8_t{0});
  encode_entry_header(h, sector_);
  size_t tail = std::min(header_tail.size(), sector_.size() - kEntryHeaderBytes);
  std::copy_n(header_tail.begin(), tail, sector_.begin() + kEntryHeaderBytes);
  if (options_.group) {
    last_seq_ = next_seq_ ? *next_seq_ : options_.group->clock->take();
    next_seq_.reset();
    write_group_tag(sector_, GroupTag{kGroupTagMagic, options_.group->group_id, last_seq_,
                                      options_.group->index, 0});
  }
  sink_.write_at(offset_, sector_);
  offset_ += sector_.size();
  if (!data.empty()) sink_.write_at(offset_, data);
  offset_ += data.size();
  return entries_++;
}

uint64_t LogWriter::write(uint64_t sector, std::span<const uint8_t> data, uint64_t flags) {
  if (data.empty() || data.size() % options_.sectorsize != 0) {
    throw LogError(LogErrorKind::kUsage,
                   fmt::format("write of {} bytes is not a whole number of {}-byte sectors",
                               data.size(), options_.sectorsize));
  }
  if ((flags & (kFlagDiscard | kFlagMark)) != 0) {
    throw LogError(LogErrorKind::kUsage, "write() cannot carry DISCARD or MARK");
  }
  EntryHeader h{sector, data.size() / options_.sectorsize, flags, 0};
  return append(h, {}, data);
}

uint64_t LogWriter::flush() { return append(EntryHeader{0, 0, kFlagFlush, 0}, {}, {}); }

uint64_t LogWriter::discard(uint64_t sector, uint64_t nr_sectors, uint64_t extra_flags) {
  if (nr_sectors == 0) throw LogError(LogErrorKind::kUsage, "discard of 0 sectors");
  return append(EntryHeader{sector, nr_sectors, kFlagDiscard | extra_flags, 0}, {}, {});
}

size_t LogWriter::max_mark() const {
  return options_.sectorsize - kMarkTextOffset - 1 - (options_.group ? kGroupTagBytes : 0);
}

uint64_t LogWriter::mark(std::string_view text) {
  if (text.size() > max_mark()) {
    throw LogError(LogErrorKind::kUsage,
                   fmt::format("mark of {} bytes is longer than {}", text.size(), max_mark()));
  }
  if (text.find('\0') != std::string_view::npos)
    throw LogError(LogErrorKind::kUsage, "mark contains NUL");
  auto bytes = std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  return append(EntryHeader{0, 0, kFlagMark, text.size()}, bytes, {});
}

uint64_t LogWriter::raw_entry(const EntryHeader& h, std::span<const uint8_t> header_tail,
                              std::span<const uint8_t> data) {
  return append(h, header_tail, data);
}

void LogWriter::finish() { write_superblock(entries_); }

void LogWriter::finish_with_count(uint64_t nr_entries) { write_superblock(nr_entries); }

}  // namespace bb::logwrites
