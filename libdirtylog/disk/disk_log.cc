// SPDX-License-Identifier: GPL-2.0-or-later
#include "disk/disk_log.h"

#include <fmt/core.h>

#include "disk/disk_format.h"

namespace bb::dirtylog {

namespace {

void check_param_count(std::span<const std::string> params) {
  if (params.size() < 2 || params.size() > 3) {
    throw Error(
        EINVAL,
        fmt::format(
            "disk log takes 2 or 3 parameters (<log_dev> <region_size> [sync|nosync]), got {}",
            params.size()));
  }
}

std::unique_ptr<disk::LogStore> open_param_device(std::span<const std::string> params) {
  check_param_count(params);
  return disk::open_log_device(params[0]);
}

}  // namespace

DiskLog::DiskLog(const LogTarget& target, std::span<const std::string> params)
    : DiskLog(target, params, open_param_device(params)) {}

DiskLog::DiskLog(const LogTarget& target, std::span<const std::string> params,
                 std::unique_ptr<disk::LogStore> store)
    : target_(target),
      region_size_(
          (check_param_count(params), parse_region_size(params[1], target.length_sectors))),
      mode_(params.size() == 3 ? parse_sync_mode(params[2]) : SyncMode::kDefaultSync),
      state_(region_count_for(target.length_sectors, region_size_), mode_),
      store_(std::move(store)),
      buffer_(disk::buffer_size(state_.count(), store_->logical_block_size())) {
  if (buffer_.size() > store_->size_bytes()) {
    throw Error(EINVAL,
                fmt::format("log device {} too small: need {} bytes for {} regions, it has {}",
                            store_->name(), buffer_.size(), state_.count(), store_->size_bytes()));
  }
}

InSync DiskLog::in_sync(region_t region, bool /*can_block*/) {
  return state_.in_sync(region) ? InSync::kYes : InSync::kNo;
}

// From here on nothing is written: every region is out of sync, and every
// flush fails, so the mirror never trusts a log we could not read.
void DiskLog::fail_device() {
  device_failed_ = true;
  state_.load_clean(RegionBitset(state_.count(), false));
}

void DiskLog::resume() {
  try {
    store_->read(buffer_);
  } catch (const Error& e) {
    fail_device();
    throw;
  }
  try {
    load_persisted_bits();
  } catch (const Error&) {
    fail_device();
    throw;
  }
  device_failed_ = false;
  device_flush_failed_ = false;
  write_buffer();
  try {
    store_->flush();
  } catch (const Error&) {
    device_flush_failed_ = true;
    throw;
  }
}

// Throws for a log we do not understand, before anything could be written back.
void DiskLog::load_persisted_bits() {
  state_.load_clean(disk::read_clean_bits(buffer_, state_.count(), mode_, store_->name()));
}

void DiskLog::write_buffer() {
  disk::write_log(state_.clean_bits(), buffer_);
  try {
    store_->write(buffer_);
  } catch (const Error&) {
    device_failed_ = true;
    throw;
  }
}

void DiskLog::flush() {
  if (!state_.touched_cleaned() && !state_.touched_dirtied()) return;
  if (device_failed_)
    throw Error(EIO, fmt::format("log device {} has failed; not writing", store_->name()));
  if (state_.touched_cleaned() && target_.flush_legs) {
    try {
      target_.flush_legs();
    } catch (const Error&) {
      // Which regions reached the legs is unknown: all must be resynced.
      state_.fail_flush();
    }
  }
  write_buffer();
  if (state_.touched_dirtied()) {
    try {
      store_->flush();
    } catch (const Error&) {
      device_flush_failed_ = true;
      device_failed_ = true;
      throw;
    }
    state_.forget_dirtied();
  }
  state_.forget_cleaned();
}

void DiskLog::postsuspend() { flush(); }

std::string DiskLog::status(StatusType type) {
  if (type == StatusType::kInfo) {
    const char health = device_flush_failed_ ? 'F' : device_failed_ ? 'D' : 'A';
    return fmt::format("3 disk {} {}", store_->name(), health);
  }
  return fmt::format("disk {} {} {} {}", mode_ == SyncMode::kDefaultSync ? 2 : 3, store_->name(),
                     region_size_, sync_mode_status(mode_));
}

}  // namespace bb::dirtylog
