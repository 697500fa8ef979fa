// SPDX-License-Identifier: GPL-2.0-or-later
// Reflink views: every view shares its extents with the replay target, so
// it costs O(extents), not O(bytes). Needs the image and the views on one
// filesystem with reflink (XFS with reflink=1, btrfs).
//
// A first view is a FICLONE of the image file. A whole-file clone is a
// transaction per extent on XFS (about 20 us each: 9 ms a view once a
// replay image has 400 extents, more than a whole ext4 check), so a view
// whose check is done goes back to a pool instead of being deleted, and
// the next take() brings a pooled file up to the image's state by cloning
// only where the two map their bytes differently (FIEMAP of both): the
// few extents the log wrote since that file's point, and what its check
// wrote. Equal mappings mean the same blocks, so the view reads exactly
// what the image holds.
//
// Where the work directory has no reflink, ReflinkScratch makes one: a
// sparse file (in /dev/shm when there is room, so fsync at every crash
// point is cheap) formatted with mkfs.xfs -m reflink=1, attached to a loop
// device and mounted inside the work directory. Needs root.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crashcheck/loop_device.h"
#include "crashcheck/view.h"
#include "crashcheck/view_file.h"
#include "crashcheck/zram_device.h"

namespace bb::crashcheck {

// True if files in `dir` can be cloned with FICLONE (tries it on a probe file).
[[nodiscard]] bool supports_reflink(const std::string& dir);

// FICLONE `from` onto a new file `to`. Throws bb::common::SystemError.
void reflink_file(const std::string& from, const std::string& to);

// One extent of a file's data, as FIEMAP reports it.
struct FileExtent {
  uint64_t logical = 0;
  uint64_t physical = 0;
  uint64_t length = 0;
  bool unwritten = false;
  // False for extents whose physical address says nothing (delayed
  // allocation, unknown, inline or encoded data): never equal to another.
  bool comparable = true;
};

// The data extents of open file `fd` that overlap [offset, offset+length),
// in logical order (an extent may reach past either end), after writing
// back the file's dirty pages if `sync` (FIEMAP_FLAG_SYNC). Throws
// bb::common::SystemError.
[[nodiscard]] std::vector<FileExtent> file_extents(int fd, uint64_t offset = 0,
                                                   uint64_t length = UINT64_MAX, bool sync = true);

// Replaces what `map` (a file's extents in logical order) says of [begin,
// end) with `fresh` (the file's extents there now, in logical order, as
// file_extents() of that range gives them; clipped to the range here).
// Extents across either end are split, keeping each part's blocks.
void splice_extents(std::vector<FileExtent>& map, uint64_t begin, uint64_t end,
                    const std::vector<FileExtent>& fresh);

struct MappingDifference {
  uint64_t offset = 0;
  uint64_t length = 0;
  bool source_hole = false;  // `source` has no extent there
};

// The ranges of [0, size) where `source` and `copy` do not map their bytes
// to the same blocks the same way (an extent against a hole, another
// physical block, written against unwritten, an extent not comparable);
// adjacent ranges of the same kind are merged. Both lists in logical order.
[[nodiscard]] std::vector<MappingDifference> mapping_differences(
    const std::vector<FileExtent>& source, const std::vector<FileExtent>& copy, uint64_t size);

// Makes `copy` (a file of `source`'s size on the same filesystem) read
// what `source` holds: clones each range where their mappings differ and
// punches the ranges where `source` has a hole. Throws
// bb::common::SystemError.
void reflink_differences(int source, int copy);
// The same with `source`'s extents known (file_extents(source) as it is).
void reflink_differences(int source, const std::vector<FileExtent>& source_extents, int copy);

// A private XFS with reflink where the checker's work directory has none.
class ReflinkScratch {
 public:
  // Makes a `size`-byte sparse XFS image in `backing_dir` and mounts it on
  // `mount_dir` (created) through a loop device. Throws
  // bb::common::SystemError or ProcessError.
  ReflinkScratch(const std::string& backing_dir, std::string mount_dir, uint64_t size);
  // Makes the XFS on `zram` (4 KiB sectors, so 4 KiB blocks) and mounts it
  // on `mount_dir` (created); the device goes with the scratch.
  ReflinkScratch(ZramDevice zram, std::string mount_dir);
  ReflinkScratch(const ReflinkScratch&) = delete;
  ReflinkScratch& operator=(const ReflinkScratch&) = delete;
  // Unmounts, then detaches and deletes the backing file or removes the
  // zram device.
  ~ReflinkScratch();

  [[nodiscard]] const std::string& dir() const { return mount_dir_; }
  // The backing image ("" on zram).
  const std::string& image() const { return backing_; }

 private:
  void mount_on(const std::string& device);

  std::string backing_;
  std::string mount_dir_;
  std::optional<ZramDevice> zram_;
  std::optional<LoopDevice> loop_;
  bool mounted_ = false;
};

class ReflinkViewFactory final : public ViewFactory {
 public:
  // Replays onto `image` (created if missing, `size` bytes); views go to
  // `dir`, which must be on the image's filesystem and support reflink.
  // `on_scratch`: `dir` is on a ReflinkScratch that is unmounted and
  // thrown away after the run, which then leaves the views it pooled to it
  // rather than deleting them one by one.
  ReflinkViewFactory(std::string image, uint64_t size, const std::string& dir,
                     bool on_scratch = false);
  ~ReflinkViewFactory() override;

  [[nodiscard]] ViewKind kind() const override { return ViewKind::kReflink; }
  const std::string& replay_path() const override { return image_; }
  [[nodiscard]] bool take_needs_sync() const override { return false; }
  // On a scratch (`on_scratch`), a target whose changes the factory notes:
  // take() then maps the image only where they were, not all of it
  // (FIEMAP looks up whether each extent is shared: a tenth of a short
  // log's run went to mapping the image at every view).
  [[nodiscard]] std::unique_ptr<replay::ReplayTarget> open_replay_target() override;
  // A pooled file brought up to date, else a new clone.
  std::unique_ptr<View> take() override;
  [[nodiscard]] std::unique_ptr<View> clone(const View& from) override;

  struct Pool;      // the files of destroyed views, for take() to reuse
  struct ImageMap;  // the image's extents, kept while its changes are watched

 private:
  // The image's extents now: the kept map with the changed ranges mapped
  // again, or all of them.
  const std::vector<FileExtent>& image_extents(int fd);

  std::string image_;
  ViewNames names_;
  std::shared_ptr<Pool> pool_;     // shared with the views it will get back
  std::shared_ptr<ImageMap> map_;  // shared with the targets that watch
};

}  // namespace bb::crashcheck
