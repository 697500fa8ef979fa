// SPDX-License-Identifier: GPL-2.0-or-later
#include "cluster/log_persistence.h"

#include <fmt/core.h>

#include "disk/disk_format.h"
#include "error.h"

namespace bb::dirtylog::cluster {

DiskPersistence::DiskPersistence(std::unique_ptr<disk::LogStore> store, region_t count)
    : store_(std::move(store)), buffer_(disk::buffer_size(count, store_->logical_block_size())) {
  if (buffer_.size() > store_->size_bytes()) {
    throw Error(EINVAL,
                fmt::format("log device {} too small: need {} bytes for {} regions, it has {}",
                            store_->name(), buffer_.size(), count, store_->size_bytes()));
  }
}

RegionBitset DiskPersistence::load(region_t count, SyncMode mode) {
  store_->read(buffer_);
  return disk::read_clean_bits(buffer_, count, mode, store_->name());
}

// Like the kernel's disk log: the whole buffer, then a cache flush.
void DiskPersistence::store(const RegionBitset& clean) {
  disk::write_log(clean, buffer_);
  store_->write(buffer_);
  store_->flush();
}

}  // namespace bb::dirtylog::cluster
