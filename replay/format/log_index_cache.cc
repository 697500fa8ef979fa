// SPDX-License-Identifier: GPL-2.0-or-later
#include "format/log_index_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "common/file_descriptor.h"
#include "common/file_mapping.h"
#include "common/system_error.h"
#include "format/log_checksum.h"
#include "format/log_error.h"

namespace bb::logwrites {
namespace {

namespace fs = std::filesystem;

std::string cache_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return fmt::format("{}/blackbox/index", xdg);
  }
  const char* home = std::getenv("HOME");
  return fmt::format("{}/.cache/blackbox/index", home != nullptr && *home != '\0' ? home : "/tmp");
}

bool can_write_beside(const fs::path& log) {
  fs::path dir = log.parent_path().empty() ? fs::path(".") : log.parent_path();
  std::error_code ec;
  if (fs::weakly_canonical(dir, ec).string().starts_with("/dev")) return false;
  if (::access(dir.c_str(), W_OK) != 0) return false;
  std::string idx = log.string() + ".bbidx";
  return ::access(idx.c_str(), F_OK) != 0 || ::access(idx.c_str(), W_OK) == 0;
}

// An index file that cannot be mapped is stale like one that fails to
// parse: LogError(kIo), and it is rebuilt.
std::shared_ptr<const bb::common::FileMapping> map_index(const std::string& path) {
  try {
    return std::make_shared<const bb::common::FileMapping>(path);
  } catch (const bb::common::SystemError& err) {
    throw LogError(LogErrorKind::kIo, err.what());
  }
}

void save_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  if (auto dir = fs::path(path).parent_path(); !dir.empty()) fs::create_directories(dir);
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  bb::common::FileDescriptor fd(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw std::runtime_error(fmt::format("cannot create {}: {}", tmp, std::strerror(errno)));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::unlink(tmp.c_str());
      throw std::runtime_error(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(fmt::format("cannot rename {}: {}", tmp, std::strerror(errno)));
  }
}

}  // namespace

std::string default_index_path(const FileLogSource& log) {
  fs::path path(log.path());
  if (!log.is_block_device() && can_write_beside(path)) return path.string() + ".bbidx";
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  std::string key = ec ? path.string() : canonical.string();
  Fnv64 sum;
  sum.add(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  return fmt::format("{}/{}-{:016x}.bbidx", cache_dir(), path.filename().string(), sum.value());
}

CachedIndex load_or_build_index(const FileLogSource& log, LogReader& reader,
                                const IndexCacheOptions& options) {
  CachedIndex result;
  if (!options.use_cache) {
    result.index = LogIndex::build(reader, options.progress);
    return result;
  }
  result.path = options.index_path.value_or(default_index_path(log));
  result.origin = IndexOrigin::kBuilt;
  if (::access(result.path.c_str(), F_OK) == 0) {
    try {
      LogIndex cached = LogIndex::load(map_index(result.path));
      cached.validate(reader, options.full_verify);
      result.index = std::move(cached);
      result.origin = IndexOrigin::kLoaded;
      return result;
    } catch (const LogError& err) {
      result.origin = IndexOrigin::kRebuilt;
      result.note = fmt::format("index {} is stale ({}), rebuilt", result.path, err.detail());
    }
  }
  result.index = LogIndex::build(reader, options.progress);
  try {
    save_atomically(result.path, result.index.serialize());
  } catch (const std::exception& err) {
    result.note = fmt::format("index not saved: {}", err.what());
  }
  return result;
}

}  // namespace bb::logwrites
