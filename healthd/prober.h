// SPDX-License-Identifier: GPL-2.0-or-later
// Probes: a few sectors of a leg read with O_DIRECT through Linux AIO, so
// that a leg that does not answer never blocks bb-healthd — it waits in
// poll(2) on an eventfd beside the dm events, and a probe past its
// timeout is reported while its read is still in the device. One probe at
// a time per leg: a leg whose last read has not come back is not read again
// until it does.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/file_descriptor.h"

namespace bb::healthd {

// "/dev/block/M:m" if it exists, else /dev/<DEVNAME> from sysfs' uevent.
// Throws SystemError naming the device number if neither is there.
[[nodiscard]] std::string block_device_path(const std::string& major_minor);

struct ProbeKey {
  std::string device;
  int leg = -1;
  // clang-tidy 14 takes the literal 0 that a defaulted <=> compares its
  // std::strong_ordering with for a null pointer constant.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  auto operator<=>(const ProbeKey&) const = default;
};

struct Completion {
  ProbeKey key;
  int error = 0;  // 0, or the errno of a failed or short read
  std::chrono::steady_clock::time_point started;
  std::chrono::steady_clock::time_point ended;
  uint64_t sector = 0;
};

class Prober {
 public:
  Prober();  // throws SystemError if AIO or an eventfd cannot be set up
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;
  Prober(Prober&&) = delete;
  Prober& operator=(Prober&&) = delete;
  // Waits for reads still in a device (the kernel does at exit anyway).
  ~Prober();

  // Starts reading `bytes` at `sector` of `path`. False if the key's last
  // read has not completed yet. An open or submit error completes the
  // probe at once with that errno (reaped by the next reap()).
  bool start(const ProbeKey& key, const std::string& path, uint64_t sector, uint32_t bytes,
             std::chrono::steady_clock::time_point now);
  [[nodiscard]] bool in_flight(const ProbeKey& key) const { return slots_.contains(key); }
  // Readable (POLLIN) when reads have completed.
  [[nodiscard]] int fd() const { return eventfd_.get(); }
  // The reads completed since the last call (clears the eventfd).
  [[nodiscard]] std::vector<Completion> reap(std::chrono::steady_clock::time_point now);

 private:
  struct Slot;
  void complete_now(const Completion& c);
  uint64_t context_ = 0;  // aio_context_t
  uint64_t last_id_ = 0;
  bb::common::FileDescriptor eventfd_;
  std::map<ProbeKey, std::unique_ptr<Slot>> slots_;
  std::vector<Completion> immediate_;  // failed before reaching a device
};

}  // namespace bb::healthd
