// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/view_reflink.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "common/file_descriptor.h"
#include "common/file_info.h"
#include "common/process.h"
#include "common/system_error.h"
#include "crashcheck/error.h"

namespace bb::crashcheck {

namespace {

// Returns errno of the FICLONE (0 on success); `to` is created.
int try_clone(const std::string& from, const std::string& to) {
  bb::common::FileDescriptor in = bb::common::open_file(from, O_RDONLY);
  bb::common::FileDescriptor out(open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) bb::common::throw_errno("cannot create " + to);
  return ioctl(out.get(), FICLONE, in.get()) == 0 ? 0 : errno;
}

// What a range of a file maps to, for mapping_differences().
struct Mapping {
  const FileExtent* extent = nullptr;  // nullptr: a hole
  uint64_t end = 0;                    // where this mapping stops
};

// The mapping of `extents` at `pos`; `i` is the first extent that does not
// end at or before `pos` (advanced here).
Mapping mapping_at(const std::vector<FileExtent>& extents, size_t& i, uint64_t pos, uint64_t size) {
  while (i < extents.size() && extents[i].logical + extents[i].length <= pos) ++i;
  if (i == extents.size()) return {nullptr, size};
  const FileExtent& e = extents[i];
  if (e.logical > pos) return {nullptr, std::min(e.logical, size)};
  return {&e, std::min(e.logical + e.length, size)};
}

bool same_blocks(const Mapping& a, const Mapping& b, uint64_t pos) {
  if (a.extent == nullptr || b.extent == nullptr) return a.extent == b.extent;
  const FileExtent& x = *a.extent;
  const FileExtent& y = *b.extent;
  return x.comparable && y.comparable && x.unwritten == y.unwritten &&
         x.physical + (pos - x.logical) == y.physical + (pos - y.logical);
}

}  // namespace

std::vector<FileExtent> file_extents(int fd, uint64_t offset, uint64_t length, bool sync) {
  constexpr uint32_t kBatch = 256;
  std::vector<uint64_t> buffer(
      (sizeof(fiemap) + kBatch * sizeof(fiemap_extent)) / sizeof(uint64_t) + 1);
  auto* fm = reinterpret_cast<fiemap*>(buffer.data());
  std::vector<FileExtent> out;
  const uint64_t end = length > FIEMAP_MAX_OFFSET - offset ? FIEMAP_MAX_OFFSET : offset + length;
  uint64_t start = offset;
  uint32_t flags = sync ? FIEMAP_FLAG_SYNC : 0;
  while (start < end) {
    *fm = fiemap{};
    fm->fm_start = start;
    fm->fm_length = end - start;
    fm->fm_flags = flags;
    fm->fm_extent_count = kBatch;
    if (ioctl(fd, FS_IOC_FIEMAP, fm) != 0)
      bb::common::throw_errno("cannot map a view's extents (FIEMAP)");
    flags = 0;  // written back once is enough
    bool last = fm->fm_mapped_extents == 0;
    for (uint32_t k = 0; k < fm->fm_mapped_extents; ++k) {
      const fiemap_extent& e = fm->fm_extents[k];
      constexpr uint32_t kOpaque = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
                                   FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_INLINE |
                                   FIEMAP_EXTENT_DATA_TAIL | FIEMAP_EXTENT_NOT_ALIGNED |
                                   FIEMAP_EXTENT_DATA_ENCRYPTED;
      out.push_back({e.fe_logical, e.fe_physical, e.fe_length,
                     (e.fe_flags & FIEMAP_EXTENT_UNWRITTEN) != 0, (e.fe_flags & kOpaque) == 0});
      start = std::max<uint64_t>(start, e.fe_logical + e.fe_length);
      last = last || (e.fe_flags & FIEMAP_EXTENT_LAST) != 0;
    }
    if (last) break;
  }
  return out;
}

void splice_extents(std::vector<FileExtent>& map, uint64_t begin, uint64_t end,
                    const std::vector<FileExtent>& fresh) {
  // The part of `e` inside [from, to), if any, with its blocks.
  auto clip = [](FileExtent e, uint64_t from, uint64_t to) -> std::optional<FileExtent> {
    uint64_t first = std::max(e.logical, from), stop = std::min(e.logical + e.length, to);
    if (first >= stop) return std::nullopt;
    e.physical += first - e.logical;
    e.length = stop - first;
    e.logical = first;
    return e;
  };
  std::vector<FileExtent> out;
  out.reserve(map.size() + fresh.size() + 1);
  size_t i = 0;
  for (; i < map.size() && map[i].logical < begin; ++i)
    if (auto part = clip(map[i], 0, begin)) out.push_back(*part);
  for (const FileExtent& e : fresh)
    if (auto part = clip(e, begin, end)) out.push_back(*part);
  // The extent that crossed `begin` may also reach past `end`.
  for (size_t k = i == 0 ? 0 : i - 1; k < map.size(); ++k)
    if (auto part = clip(map[k], end, UINT64_MAX)) out.push_back(*part);
  map.swap(out);
}

std::vector<MappingDifference> mapping_differences(const std::vector<FileExtent>& source,
                                                   const std::vector<FileExtent>& copy,
                                                   uint64_t size) {
  std::vector<MappingDifference> out;
  size_t i = 0, j = 0;
  for (uint64_t pos = 0; pos < size;) {
    Mapping a = mapping_at(source, i, pos, size);
    Mapping b = mapping_at(copy, j, pos, size);
    uint64_t end = std::min(a.end, b.end);
    if (!same_blocks(a, b, pos)) {
      bool hole = a.extent == nullptr;
      if (!out.empty() && out.back().offset + out.back().length == pos &&
          out.back().source_hole == hole) {
        out.back().length += end - pos;
      } else {
        out.push_back({pos, end - pos, hole});
      }
    }
    pos = end;
  }
  return out;
}

void reflink_differences(int source, int copy) {
  reflink_differences(source, file_extents(source), copy);
}

void reflink_differences(int source, const std::vector<FileExtent>& source_extents, int copy) {
  struct stat a {
  }, b{};
  if (fstat(source, &a) != 0 || fstat(copy, &b) != 0) bb::common::throw_errno("cannot stat a view");
  if (a.st_size != b.st_size) {
    errno = EINVAL;
    bb::common::throw_errno("a pooled view is not the image's size");
  }
  auto size = static_cast<uint64_t>(a.st_size);
  std::vector<MappingDifference> diff =
      mapping_differences(source_extents, file_extents(copy), size);
  for (const MappingDifference& d : diff) {
    auto offset = static_cast<off_t>(d.offset), length = static_cast<off_t>(d.length);
    if (d.source_hole) {
      if (fallocate(copy, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) != 0)
        bb::common::throw_errno("cannot punch a hole in a pooled view");
      continue;
    }
    file_clone_range r{source, d.offset, d.length, d.offset};
    if (ioctl(copy, FICLONERANGE, &r) != 0)
      bb::common::throw_errno("cannot reflink a range into a pooled view");
  }
}

struct ReflinkViewFactory::Pool {
  // A pooled file and the loop device that stays on it (none until a
  // check asks for one).
  struct Entry {
    std::string path;
    std::unique_ptr<BoundLoop> loop;
  };
  std::mutex mutex;
  std::vector<Entry> files;
  // A refresh failed: no more reuse (a reason that lasts would cost a
  // failed refresh before every new clone).
  bool closed = false;
  // The files are on a scratch filesystem that goes whole with the run:
  // left to it. Deleting a file of many shared extents makes XFS free them
  // one by one (refcount updates), work the unmount waits for: 140 ms for
  // 37 pooled views of a 320 MiB image, against 6 ms for an unmount that
  // finds them still there.
  bool on_scratch = false;
  explicit Pool(bool scratch) : on_scratch(scratch) {}
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() {
    detach_all();
    if (on_scratch) return;
    for (const Entry& e : files) unlink(e.path.c_str());
  }

  // Detaches the files' loop devices side by side: setting a buffered
  // one's cache back to write-back freezes its queue, which waits for an
  // RCU grace period (16 ms each on the bench machine; 0.6 s for the 37
  // devices of the short xfs bench log one after the other).
  void detach_all() {
    std::vector<std::jthread> threads;
    for (Entry& e : files) {
      if (!e.loop) continue;
      try {
        threads.emplace_back([&e] { e.loop.reset(); });
      } catch (const std::system_error&) {  // no thread: here, then
        e.loop.reset();
      }
    }
  }
};

struct ReflinkViewFactory::ImageMap {
  // Set once a target from open_replay_target() reports every change.
  bool watched = false;
  std::optional<std::vector<FileExtent>> extents;  // as of the last take()
  uint64_t size = 0;                               // the image's size then
  // Ranges the targets changed since (offset, length).
  std::vector<std::pair<uint64_t, uint64_t>> changed;
};

namespace {

// Changed ranges are mapped again in whole aligned pieces of this size: a
// multiple of any block size, so that a block a write changed in part (a
// hole's block allocated around a sector) is mapped again whole.
constexpr uint64_t kRemapGranule = 64 << 10;
// Changed ranges kept at most (1 MiB of them; a take() normally uses them
// a few dozen writes later): past that the image is mapped whole again.
constexpr size_t kMaxChangedRanges = 65536;

// A view whose file, and the loop device on it, go back to the factory's
// pool when it is destroyed.
class PooledView final : public View {
 public:
  PooledView(ReflinkViewFactory::Pool::Entry entry, std::shared_ptr<ReflinkViewFactory::Pool> pool)
      : entry_(std::move(entry)), pool_(std::move(pool)) {}
  PooledView(const PooledView&) = delete;
  PooledView& operator=(const PooledView&) = delete;
  ~PooledView() override {
    try {
      std::lock_guard<std::mutex> lock(pool_->mutex);
      if (!pool_->closed) {
        pool_->files.push_back(std::move(entry_));
        return;
      }
    } catch (const std::exception&) {  // no memory for the pool: no reuse
    }
    entry_.loop.reset();
    unlink(entry_.path.c_str());
  }
  [[nodiscard]] const std::string& path() const override { return entry_.path; }
  bool is_block_device() const override { return false; }
  // The file's own loop device; a new one if the block size changed or
  // the last check left a filesystem on it (the old one is detached when
  // that lets go of it).
  std::string own_device(uint32_t block_size) override {
    if (entry_.loop && (entry_.loop->block_size() != block_size || !entry_.loop->idle()))
      entry_.loop.reset();
    if (!entry_.loop) entry_.loop = std::make_unique<BoundLoop>(entry_.path, block_size);
    return entry_.loop->path();
  }

 private:
  ReflinkViewFactory::Pool::Entry entry_;
  std::shared_ptr<ReflinkViewFactory::Pool> pool_;
};

}  // namespace

bool supports_reflink(const std::string& dir) {
  std::string a = dir + "/.reflink-probe-a", b = dir + "/.reflink-probe-b";
  bool wrote = false;
  {
    bb::common::FileDescriptor fd(open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) return false;
    char block[4096] = {1};
    wrote = write(fd.get(), block, sizeof block) == static_cast<ssize_t>(sizeof block);
  }
  bool ok = false;
  try {
    ok = wrote && try_clone(a, b) == 0;
  } catch (const std::exception&) {  // the reflink ioctl failed
    ok = false;
  }
  unlink(a.c_str());
  unlink(b.c_str());
  return ok;
}

void reflink_file(const std::string& from, const std::string& to) {
  if (int err = try_clone(from, to); err != 0) {
    unlink(to.c_str());
    errno = err;
    bb::common::throw_errno("cannot reflink " + from + " to " + to);
  }
}

ReflinkScratch::ReflinkScratch(const std::string& backing_dir, std::string mount_dir, uint64_t size)
    : backing_(backing_dir + "/bb-crashcheck-scratch-" + std::to_string(getpid()) + ".xfs"),
      mount_dir_(std::move(mount_dir)) {
  create_image(backing_, size);
  try {
    // -K: no discard of the (sparse) backing file; small log: the scratch
    // holds a handful of big files. 1 KiB blocks (the least XFS v5 has): a
    // reflinked file takes direct I/O only in whole blocks (statx
    // dio_offset_align), and the view of an ext4 with 1 KiB blocks (mkfs's
    // choice below 512 MiB) can then be a direct I/O device of 1 KiB
    // blocks. Neutral for 4 KiB views.
    bb::common::run_or_throw({"mkfs.xfs", "-q", "-f", "-K", "-m", "reflink=1", "-b", "size=1024",
                              "-l", "size=64m", backing_});
    loop_.emplace(backing_);
    mount_on(loop_->path());
  } catch (...) {
    loop_.reset();
    unlink(backing_.c_str());
    throw;
  }
}

ReflinkScratch::ReflinkScratch(ZramDevice zram, std::string mount_dir)
    : mount_dir_(std::move(mount_dir)), zram_(std::move(zram)) {
  // zram's sectors are 4 KiB: so are the XFS's blocks, and views of
  // filesystems with smaller blocks are buffered devices (loop_device.h).
  bb::common::run_or_throw(
      {"mkfs.xfs", "-q", "-f", "-K", "-m", "reflink=1", "-l", "size=64m", zram_->path()});
  mount_on(zram_->path());
}

void ReflinkScratch::mount_on(const std::string& device) {
  std::filesystem::create_directories(mount_dir_);
  if (mount(device.c_str(), mount_dir_.c_str(), "xfs", 0, "") != 0) {
    bb::common::throw_errno("cannot mount the reflink scratch filesystem on " + mount_dir_);
  }
  mounted_ = true;
}

ReflinkScratch::~ReflinkScratch() {
  if (mounted_ && umount2(mount_dir_.c_str(), 0) != 0) umount2(mount_dir_.c_str(), MNT_DETACH);
  loop_.reset();
  if (!backing_.empty()) unlink(backing_.c_str());
  zram_.reset();
  rmdir(mount_dir_.c_str());
}

ReflinkViewFactory::ReflinkViewFactory(std::string image, uint64_t size, const std::string& dir,
                                       bool on_scratch)
    : image_(std::move(image)),
      names_(dir),
      pool_(std::make_shared<Pool>(on_scratch)),
      map_(std::make_shared<ImageMap>()) {
  if (access(image_.c_str(), F_OK) != 0) create_image(image_, size);
  if (!supports_reflink(dir))
    throw CheckerError("no reflink (FICLONE) in " + dir + "; use --view copy");
}

ReflinkViewFactory::~ReflinkViewFactory() = default;

std::unique_ptr<replay::ReplayTarget> ReflinkViewFactory::open_replay_target() {
  std::unique_ptr<replay::ReplayTarget> target = ViewFactory::open_replay_target();
  // Only on the private scratch: nothing else writes the image there, nor
  // moves its data (a user's btrfs may defragment it behind our back).
  if (pool_->on_scratch) {
    map_->watched = true;
    map_->extents.reset();  // kept from before the watch: mapped whole again
    target->watch_changes([map = map_](uint64_t offset, uint64_t length) {
      if (!map->extents) return;  // mapped whole at the next take() anyway
      if (map->changed.size() >= kMaxChangedRanges) {
        map->extents.reset();  // many writes and no take() using them
        map->changed.clear();
        return;
      }
      map->changed.emplace_back(offset, length);
    });
  }
  return target;
}

const std::vector<FileExtent>& ReflinkViewFactory::image_extents(int fd) {
  ImageMap& m = *map_;
  struct stat st {};
  if (fstat(fd, &st) != 0) bb::common::throw_errno("cannot stat " + image_);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (!m.watched || !m.extents || m.size != size) {
    m.extents.reset();
    m.changed.clear();
    m.extents = file_extents(fd);
    m.size = size;
    return *m.extents;
  }
  if (m.changed.empty()) return *m.extents;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [begin, end), aligned and merged
  std::sort(m.changed.begin(), m.changed.end());
  for (const auto& [offset, length] : m.changed) {
    uint64_t begin = offset / kRemapGranule * kRemapGranule;
    uint64_t end = std::min<uint64_t>((offset + std::max<uint64_t>(length, 1) + kRemapGranule - 1) /
                                          kRemapGranule * kRemapGranule,
                                      UINT64_MAX - kRemapGranule);
    if (!ranges.empty() && begin <= ranges.back().second) {
      ranges.back().second = std::max(ranges.back().second, end);
    } else {
      ranges.emplace_back(begin, end);
    }
  }
  try {
    bool sync = true;  // the first FIEMAP writes back the whole file
    for (const auto& [begin, end] : ranges) {
      splice_extents(*m.extents, begin, end, file_extents(fd, begin, end - begin, sync));
      sync = false;
    }
  } catch (...) {
    m.extents.reset();  // half refreshed: all of it again next time
    throw;
  }
  m.changed.clear();
  return *m.extents;
}

std::unique_ptr<View> ReflinkViewFactory::take() {
  std::optional<Pool::Entry> pooled;
  {
    std::lock_guard<std::mutex> lock(pool_->mutex);
    if (!pool_->files.empty()) {
      pooled = std::move(pool_->files.back());
      pool_->files.pop_back();
    }
  }
  if (pooled) {
    try {
      // The file's loop device, if it has one, stays attached: nothing has
      // it open between checks, and the remap drops the file's cached
      // pages where it changes them.
      bb::common::FileDescriptor image = bb::common::open_file(image_, O_RDONLY);
      bb::common::FileDescriptor view = bb::common::open_file(pooled->path, O_RDWR);
      reflink_differences(image.get(), image_extents(image.get()), view.get());
      return std::make_unique<PooledView>(std::move(*pooled), pool_);
    } catch (const std::exception&) {
      // Half brought up to date: never used, and no other pooled file
      // either. A new clone below says what is wrong if it is more than
      // this file.
      pooled->loop.reset();
      unlink(pooled->path.c_str());
      std::vector<Pool::Entry> rest;
      {
        std::lock_guard<std::mutex> lock(pool_->mutex);
        pool_->closed = true;
        rest.swap(pool_->files);
      }
      for (Pool::Entry& e : rest) {
        e.loop.reset();
        unlink(e.path.c_str());
      }
    }
  }
  std::string path = names_.next();
  reflink_file(image_, path);
  return std::make_unique<PooledView>(Pool::Entry{path, nullptr}, pool_);
}

std::unique_ptr<View> ReflinkViewFactory::clone(const View& from) {
  std::string path = names_.next();
  reflink_file(from.path(), path);
  return std::make_unique<FileView>(path);
}

}  // namespace bb::crashcheck
