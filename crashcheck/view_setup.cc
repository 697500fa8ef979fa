// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/view_setup.h"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <filesystem>

#include "common/file_info.h"
#include "crashcheck/error.h"
#include "crashcheck/leftovers.h"
#include "crashcheck/view_copy.h"
#include "crashcheck/view_dm_snapshot.h"
#include "crashcheck/zram_device.h"

namespace bb::crashcheck {

namespace fs = std::filesystem;

namespace {

// Reflink views of a --target image must be on its filesystem: they go to
// a private directory beside it (never to the user's directory itself,
// where a view-N.img of theirs would be overwritten), one that a later run
// removes if this one is killed. Returns null if that filesystem has no
// reflink or the directory cannot be made.
std::unique_ptr<WorkDir> reflink_dir_beside(const std::string& target,
                                            std::vector<std::string>& notes, std::string& why_not) {
  // Built in one expression: GCC 12 at -O3 warns (-Wrestrict, a false
  // positive) on assigning "." to a string that was just built.
  const fs::path parent = fs::path(target).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  for (std::string& line : remove_leftovers(dir)) notes.push_back(std::move(line));
  try {
    auto views = std::make_unique<WorkDir>(dir);
    if (supports_reflink(views->path())) return views;
    why_not = target + " is not on a filesystem with reflink";
  } catch (const std::exception& e) {  // CheckerError, or a failed system call
    why_not = e.what();
  }
  return nullptr;
}

// Whether a scratch on zram is likely to be faster than one on a loop
// device over /dev/shm for this check. zram decompresses at every read; a
// buffered view (a filesystem of blocks smaller than zram's 4 KiB sectors)
// reads it once into its file's page cache, a direct I/O view at every
// read of every check. Side by side on the short bench logs: ext4 with
// 1 KiB blocks and XFS with 512-byte sectors were 10 and 15 % faster on
// zram, btrfs (4 KiB sectors on x86) 7 % slower. So not for btrfs, nor for
// ext4 where mke2fs's default gives 4 KiB blocks (512 MiB and up).
bool zram_pays(const CheckerOptions& o, uint64_t image_size) {
  const std::string fs = o.check != nullptr ? o.check->name() : "";
  if (fs == "btrfs") return false;
  if (fs == "ext4") return image_size < (uint64_t{512} << 20);
  return true;
}

// The reflink scratch on a zram device of its own, or null where the
// kernel has no zram (or it fails: a note says why).
std::unique_ptr<ReflinkScratch> scratch_on_zram(const std::string& work, uint64_t size,
                                                std::vector<std::string>& notes) {
  if (access("/sys/class/zram-control/hot_add", F_OK) != 0) return nullptr;
  try {
    ZramDevice zram(size);
    record_zram(work, zram.id(), zram.size());
    return std::make_unique<ReflinkScratch>(std::move(zram), work + "/scratch");
  } catch (const std::exception& err) {  // a failed system call or program (mkfs, mount)
    notes.push_back(std::string("no reflink scratch on zram (") + err.what() +
                    "): on a loop device");
    return nullptr;
  }
}

}  // namespace

ViewSetup make_views(const CheckerOptions& o, uint64_t image_size,
                     std::vector<std::string>& notes) {
  ViewSetup s;
  std::string parent = o.workdir.empty() ? default_workdir_parent() : o.workdir;
  for (std::string& line : remove_leftovers(parent)) notes.push_back(std::move(line));
  s.work = std::make_unique<WorkDir>(parent);
  const std::string& work = s.work->path();
  if (o.view == ViewKind::kDmSnapshot) {
    auto dm = std::make_unique<DmSnapshotViewFactory>(o.target.value_or(work + "/replay.img"),
                                                      image_size, work);
    if (o.target && dm->base_loop() != nullptr)
      record_loop(work, dm->base_loop()->path(), *o.target);
    s.factory = std::move(dm);
    return s;
  }
  if (o.target) {
    std::string why_not = *o.target + " is a block device";
    if (!bb::common::is_block_device(*o.target) && o.view != ViewKind::kCopy) {
      s.beside_target = reflink_dir_beside(*o.target, notes, why_not);
    }
    if (o.view == ViewKind::kReflink && !s.beside_target)
      throw CheckerError("--view reflink: " + why_not);
    if (s.beside_target) {
      s.factory =
          std::make_unique<ReflinkViewFactory>(*o.target, image_size, s.beside_target->path());
    } else {
      s.factory = std::make_unique<CopyViewFactory>(*o.target, image_size, work);
    }
    return s;
  }
  std::string dir = work;
  if (o.view != ViewKind::kCopy && !supports_reflink(dir)) {
    try {
      const bool in_memory =
          free_bytes("/dev/shm") > 4 * image_size && access("/dev/shm", W_OK) == 0;
      const uint64_t size = std::max<uint64_t>(16ULL << 30, 4 * image_size + (4ULL << 30));
      // In memory: on a zram device where the kernel has zram and it pays
      // (no loop worker between the scratch and its memory), else on a
      // loop device over a sparse image in /dev/shm.
      if (in_memory && zram_pays(o, image_size)) s.scratch = scratch_on_zram(work, size, notes);
      if (!s.scratch) {
        s.scratch = std::make_unique<ReflinkScratch>(in_memory ? "/dev/shm" : work,
                                                     work + "/scratch", size);
        record_scratch_image(work, s.scratch->image());
      }
      dir = s.scratch->dir();
    } catch (const std::exception& err) {  // a failed system call or program (mkfs, mount)
      if (o.view == ViewKind::kReflink) throw;
      notes.push_back(std::string("no reflink scratch filesystem (") + err.what() +
                      "): using copy views");
    }
  }
  if (o.view != ViewKind::kCopy && (s.scratch || supports_reflink(dir))) {
    s.factory = std::make_unique<ReflinkViewFactory>(dir + "/replay.img", image_size, dir,
                                                     s.scratch != nullptr);
  } else {
    s.factory = std::make_unique<CopyViewFactory>(dir + "/replay.img", image_size, dir);
  }
  return s;
}

}  // namespace bb::crashcheck
