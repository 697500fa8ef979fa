// SPDX-License-Identifier: GPL-2.0-or-later
// Copy-on-write views: a private, writable copy of the replay target as it
// was at one crash point. A check may mount it (journal recovery writes to
// it), repair it or scribble on it; the replay state never sees that.
//
// One small interface, one mechanism per file:
//   view_reflink.cc      FICLONE of the image file (XFS, btrfs; O(extents))
//   view_copy.cc         a sparse copy of the image file (any filesystem)
//   view_dm_snapshot.cc  a non-persistent dm-snapshot of the replay device
//                        (where device-mapper exists, e.g. in the VM)
//
// A ViewFactory first decides where the replay goes (prepare()), then makes
// views of it at crash points (take()) and views of views (clone(), used to
// build "beyond prefix" states from the state at the start of an epoch).
// take() is called only from the replay thread while no replay write is in
// flight; clone() and destroying views may happen on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/replay_target.h"

namespace bb::crashcheck {

class View {
 public:
  View() = default;
  View(const View&) = delete;
  View& operator=(const View&) = delete;
  virtual ~View() = default;  // removes the view and what backs it

  // The view's bytes: a regular file or a block device. Writable.
  [[nodiscard]] virtual const std::string& path() const = 0;
  virtual bool is_block_device() const = 0;
  // A block device of the view's own on its file (a pooled reflink view
  // keeps a loop device from check to check, see BoundLoop), attached with
  // logical blocks of `block_size` bytes; "" if the view has none and the
  // caller attaches one. Throws bb::common::SystemError.
  [[nodiscard]] virtual std::string own_device(uint32_t block_size) {
    (void)block_size;
    return {};
  }
};

enum class ViewKind { kReflink, kCopy, kDmSnapshot };
[[nodiscard]] const char* view_kind_name(ViewKind kind);

class ViewFactory {
 public:
  ViewFactory() = default;
  ViewFactory(const ViewFactory&) = delete;
  ViewFactory& operator=(const ViewFactory&) = delete;
  virtual ~ViewFactory() = default;

  [[nodiscard]] virtual ViewKind kind() const = 0;
  // The path the replay must write to (the image file, or a device that
  // stands in front of it). Valid for the factory's lifetime.
  [[nodiscard]] virtual const std::string& replay_path() const = 0;
  // A target for the replay's writes to replay_path(). Once one exists,
  // every change to the replay target must go through the targets from
  // here, on the thread that calls take(): a factory may watch them
  // (ReflinkViewFactory then maps only the bytes they changed at the next
  // take()). Throws replay::ReplayError.
  [[nodiscard]] virtual std::unique_ptr<replay::ReplayTarget> open_replay_target() {
    return std::make_unique<replay::ReplayTarget>(replay_path());
  }
  // A view of the replay target as it is now. The caller has synced it if
  // take_needs_sync().
  [[nodiscard]] virtual std::unique_ptr<View> take() = 0;
  // Whether take() reads below the page cache, so that the replay's writes
  // must be fsync()ed first. Reflinks and copies go through the page cache
  // of the image (FICLONE writes back the range it clones itself).
  [[nodiscard]] virtual bool take_needs_sync() const { return true; }
  // A view of `from` as it is now; `from` stays unchanged.
  [[nodiscard]] virtual std::unique_ptr<View> clone(const View& from) = 0;
};

}  // namespace bb::crashcheck
