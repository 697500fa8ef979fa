// SPDX-License-Identifier: GPL-2.0-or-later
// Small logs for the checker's unit tests, made with the format library's
// writer: a file in a temporary directory that is removed afterwards.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "format/log_index.h"
#include "format/log_reader.h"
#include "format/log_source.h"
#include "format/log_writer.h"

namespace bb::crashcheck::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/bb-checker-test.XXXXXX";
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// 4 KiB (8 sectors) of one byte value.
inline std::vector<uint8_t> block(uint8_t value) { return std::vector<uint8_t>(4096, value); }

// An index over an in-memory log.
struct MemoryLog {
  bb::logwrites::MemoryLogSink sink;
  bb::logwrites::LogWriter writer{sink, bb::logwrites::WriterOptions{}};

  bb::logwrites::LogIndex index() {
    writer.finish();
    source = std::make_unique<bb::logwrites::MemoryLogSource>(sink.bytes());
    reader = std::make_unique<bb::logwrites::LogReader>(*source);
    return bb::logwrites::LogIndex::build(*reader);
  }
  std::unique_ptr<bb::logwrites::MemoryLogSource> source;
  std::unique_ptr<bb::logwrites::LogReader> reader;
};

}  // namespace bb::crashcheck::testing
