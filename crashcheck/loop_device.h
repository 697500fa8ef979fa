// SPDX-License-Identifier: GPL-2.0-or-later
// Loop devices: how a file view becomes the block device a mount or an
// fsck needs.
//
//   LoopDevice  attached to one file for as long as the object lives
//               (the reflink scratch, dm-snapshot COW stores).
//   LoopSlot    the device a check worker attaches to view after view,
//               reusing the same device number while no one else takes it.
//   BoundLoop   attached to a pooled view's file for as long as the file
//               is reused, view after view.
#pragma once

#include <cstdint>
#include <string>

#include "common/file_descriptor.h"

namespace bb::crashcheck {

class LoopDevice {
 public:
  // Attaches a free loop device to `file` (read-write, buffered, so it sees
  // the same page cache as file I/O). Throws bb::common::SystemError.
  explicit LoopDevice(const std::string& file);
  LoopDevice(LoopDevice&& other) noexcept = default;
  LoopDevice& operator=(LoopDevice&&) = delete;
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  // Detaches; a device still held open (udev probing it) is detached by the
  // kernel when the last opener closes it.
  ~LoopDevice();

  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
  bb::common::FileDescriptor fd_;  // the device, held open while attached
};

// Tells the block layer whether loop device `device` has a volatile write
// cache. Without one ("write through") the block layer completes flushes
// and FUA itself instead of passing them to the loop driver, which would
// fsync() the backing file. For a view that fsync writes back what the
// check wrote (a journal recovery's metadata) and, on a reflink view,
// copies on write every block of it, for a file deleted right after the
// check: nothing of a view has to outlive the machine, and what the check
// reads comes from the page cache either way. The setting outlives the
// attachment, so it is set back before the device is detached. Best
// effort: without sysfs nothing changes but speed.
void set_write_cache(const std::string& device, bool cached);
// Whether loop device `device` does direct I/O on its file (sysfs).
[[nodiscard]] bool uses_direct_io(const std::string& device);

// A loop device that stays attached to one file while the file is reused
// for view after view (a pooled reflink view keeps one): no attach and
// detach at every check, and a device the kernel runs buffered is made
// write-through (set_write_cache()) once, not at every check (a queue
// freeze each way). Since the device is attached all along, no other
// process can get it from LOOP_CTL_GET_FREE while it is write-through.
// It is not held open: when a check's last user of it (the umount, the
// fsck) closes it, the kernel drops its cached blocks, so the next check
// reads the file as it is then. Direct I/O and the block size as
// LoopSlot::attach(). Destroying it sets the cache back and detaches.
class BoundLoop {
 public:
  // Throws bb::common::SystemError.
  BoundLoop(const std::string& file, uint32_t block_size);
  BoundLoop(const BoundLoop&) = delete;
  BoundLoop& operator=(const BoundLoop&) = delete;
  ~BoundLoop();

  [[nodiscard]] const std::string& path() const { return path_; }
  // The block size it was asked for (the kernel may have refused it).
  [[nodiscard]] uint32_t block_size() const { return block_size_; }
  // Whether nothing has the device open exclusively (a mount): false
  // after a check whose umount failed left its filesystem lazily
  // unmounted on it, where the next check's mount would fail.
  [[nodiscard]] bool idle() const;

 private:
  std::string path_;
  uint32_t block_size_ = 0;
  bool write_through_ = false;
};

class LoopSlot {
 public:
  LoopSlot() = default;
  LoopSlot(const LoopSlot&) = delete;
  LoopSlot& operator=(const LoopSlot&) = delete;
  ~LoopSlot();  // detaches

  // Attaches the slot's device to `file` (read-write) with direct I/O and
  // a logical block size of `block_size` (see fs_superblock.h), taking a
  // free device the first time or when another process took ours while it
  // was detached. Direct I/O keeps a view, read once, out of the page cache
  // of the file (the device caches it already); where the kernel refuses
  // direct I/O or the block size for the file, the device is buffered with
  // 512-byte blocks, and write-through (set_write_cache()): a flush would
  // write back the file's page cache. Switching the cache mode freezes the
  // device's queue, a cost a direct I/O device is spared (its flush only
  // syncs what is written already).
  // Returns the device path. Throws bb::common::SystemError.
  [[nodiscard]] const std::string& attach(const std::string& file, uint32_t block_size);
  // Detaches from the file and closes the device; the kernel drops its
  // cached blocks, so the next attach reads only the next file.
  void detach();

 private:
  std::string path_;               // the device last used
  bb::common::FileDescriptor fd_;  // open while attached
  bool write_through_ = false;     // set by attach(): undo before detaching
};

}  // namespace bb::crashcheck
