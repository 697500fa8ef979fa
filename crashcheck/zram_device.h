// SPDX-License-Identifier: GPL-2.0-or-later
// A zram device of our own: a compressed RAM disk the kernel makes on
// request (/sys/class/zram-control/hot_add) and removes when we are done
// (hot_remove). The reflink scratch filesystem goes on one where the
// kernel has zram: bio by bio in the submitter's context, where a loop
// device over a file in /dev/shm hands every request to a worker thread
// (docs/checking.md, "The views").
#pragma once

#include <cstdint>
#include <string>

namespace bb::crashcheck {

class ZramDevice {
 public:
  // Adds a device of `size` bytes (what it holds takes memory, compressed;
  // the size is only a bound). Throws bb::common::SystemError where the
  // kernel has no zram or refuses.
  explicit ZramDevice(uint64_t size);
  ZramDevice(ZramDevice&& other) noexcept;
  ZramDevice& operator=(ZramDevice&&) = delete;
  ZramDevice(const ZramDevice&) = delete;
  ZramDevice& operator=(const ZramDevice&) = delete;
  // Removes the device (its contents go with it). Nothing may have it
  // open or mounted by then.
  ~ZramDevice();

  [[nodiscard]] int id() const { return id_; }
  [[nodiscard]] std::string path() const { return "/dev/zram" + std::to_string(id_); }
  [[nodiscard]] uint64_t size() const { return size_; }

 private:
  int id_ = -1;
  uint64_t size_ = 0;
};

// Removes zram device `id` if it is still there with `size` bytes (a dead
// run's, see leftovers.h). False if it is not there, has another size or
// cannot be removed (in use).
bool remove_zram(int id, uint64_t size);

}  // namespace bb::crashcheck
