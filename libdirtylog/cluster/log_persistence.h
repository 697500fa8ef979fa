// SPDX-License-Identifier: GPL-2.0-or-later
// Where a clustered-disk log's bitmap lives, as the cluster node sees it:
// read once by the node that initialises the group's state, written by the
// server on every FLUSH. DiskPersistence is the real one, in the kernel's
// `disk` format (disk/disk_format.h owns the format); tests use it on an
// image file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dirty_log.h"
#include "disk/log_store.h"
#include "region_bitset.h"
#include "table_params.h"

namespace bb::dirtylog::cluster {

class LogPersistence {
 public:
  LogPersistence() = default;
  LogPersistence(const LogPersistence&) = delete;
  LogPersistence& operator=(const LogPersistence&) = delete;
  LogPersistence(LogPersistence&&) = delete;
  LogPersistence& operator=(LogPersistence&&) = delete;
  virtual ~LogPersistence() = default;

  // "major:minor" or the path, as status shows it.
  [[nodiscard]] virtual std::string name() const = 0;
  // The clean bits as the kernel's disk log resume reads them; throws
  // Error on an I/O error or a log it does not recognise.
  [[nodiscard]] virtual RegionBitset load(region_t count, SyncMode mode) = 0;
  // Writes the whole log and makes it durable; throws Error.
  virtual void store(const RegionBitset& clean) = 0;
};

class DiskPersistence final : public LogPersistence {
 public:
  // Throws Error(EINVAL) if the device cannot hold `count` regions.
  DiskPersistence(std::unique_ptr<disk::LogStore> store, region_t count);
  [[nodiscard]] std::string name() const override { return store_->name(); }
  [[nodiscard]] RegionBitset load(region_t count, SyncMode mode) override;
  void store(const RegionBitset& clean) override;

 private:
  std::unique_ptr<disk::LogStore> store_;
  std::vector<std::byte> buffer_;
};

}  // namespace bb::dirtylog::cluster
