// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/leftovers.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "common/file_descriptor.h"
#include "crashcheck/error.h"
#include "crashcheck/loop_device.h"
#include "crashcheck/view_dm_snapshot.h"
#include "crashcheck/zram_device.h"

namespace bb::crashcheck {

namespace fs = std::filesystem;

namespace {

constexpr const char* kOwnerFile = "owner";
constexpr const char* kWorkdirPrefix = "bb-crashcheck.";

// Field 22 of /proc/<pid>/stat: when the process started, in clock ticks
// since boot. With the pid it names one process, also after pid reuse.
std::optional<std::string> start_time(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  size_t paren = stat.rfind(')');  // the command name may hold spaces
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  // After ")": state is field 3, so the start time is the 20th.
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return std::nullopt;
}

struct Owner {
  pid_t pid = 0;
  std::string started;
  std::vector<std::string> scratch_images;
  std::vector<std::pair<std::string, std::string>> loops;  // device, backing file
  std::vector<std::pair<int, uint64_t>> zram;              // id, size
};

std::optional<Owner> read_owner(const fs::path& dir) {
  std::ifstream in(dir / kOwnerFile);
  Owner o;
  std::string pid;
  if (!(in >> pid >> o.started)) return std::nullopt;
  auto [end, err] = std::from_chars(pid.data(), pid.data() + pid.size(), o.pid);
  if (err != std::errc() || end != pid.data() + pid.size() || o.pid <= 0) return std::nullopt;
  std::string word;
  std::string path;
  while (in >> word && std::getline(in >> std::ws, path)) {
    if (word == "scratch") o.scratch_images.push_back(path);
    if (size_t space = path.find(' '); word == "loop" && space != std::string::npos) {
      o.loops.emplace_back(path.substr(0, space), path.substr(space + 1));
    }
    if (word == "zram") {
      std::istringstream fields(path);
      int id = -1;
      uint64_t size = 0;
      if (fields >> id >> size && id >= 0) o.zram.emplace_back(id, size);
    }
  }
  return o;
}

bool alive(const Owner& o) { return start_time(o.pid) == o.started; }

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mount_path(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool is_under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> found;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, mount_point;
    if (!(f >> id >> parent >> devno >> root >> mount_point)) continue;
    mount_point = unescape_mount_path(mount_point);
    if (is_under(mount_point, dir)) found.push_back(mount_point);
  }
  // Deepest first.
  std::sort(found.begin(), found.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return found;
}

// Detaches the loop devices for which `matches(device, backing file)`; a
// device still mounted or held by a device-mapper device is detached when
// it is let go (the kernel's autoclear).
template <typename Match>
int detach_loops(Match matches, std::vector<std::string>& problems) {
  int n = 0;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator("/sys/block", ec)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with("loop")) continue;
    std::ifstream in(e.path() / "loop" / "backing_file");
    std::string backing;
    if (!std::getline(in, backing)) continue;
    const std::string_view deleted = " (deleted)";
    if (backing.ends_with(deleted)) backing.resize(backing.size() - deleted.size());
    std::string dev = "/dev/" + name;
    if (!matches(dev, backing)) continue;
    set_write_cache(dev, true);  // a view's device was made write-through
    bb::common::FileDescriptor fd(open(dev.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd || ioctl(fd.get(), LOOP_CLR_FD, 0) != 0) {
      problems.push_back(fmt::format("{} ({})", dev, std::strerror(errno)));
    } else {
      ++n;
    }
  }
  return n;
}

std::string clean(const fs::path& dir, const Owner& owner) {
  const std::string d = dir.string();
  std::vector<std::string> problems;
  // Views first (a mounted one goes when its mount does), then the mounts
  // of views and of the scratch filesystem, then device-mapper views (and
  // with them their COW stores' loops), then loops on files elsewhere: a
  // --target image, the scratch's own.
  int loops = detach_loops([&](const std::string&, const std::string& b) { return is_under(b, d); },
                           problems);
  int mounts = 0;
  for (const std::string& m : mounts_under(d)) {
    if (umount2(m.c_str(), 0) == 0 || umount2(m.c_str(), MNT_DETACH) == 0) {
      ++mounts;
    } else {
      problems.push_back(fmt::format("{} ({})", m, std::strerror(errno)));
    }
  }
  // Its device-mapper devices are named after its pid: not if that pid is
  // some other process's now (it may be another run's, with its own).
  int dm_devices = 0;
  if (access(fmt::format("/proc/{}", owner.pid).c_str(), F_OK) != 0) {
    dm_devices = remove_dm_views(owner.pid, problems);
  } else {
    for (const std::string& name : dm_views_of(owner.pid))
      problems.push_back(name + " (its pid is in use)");
  }
  for (const std::pair<std::string, std::string>& loop : owner.loops) {
    loops +=
        detach_loops([&](const std::string& dev,
                         const std::string& b) { return dev == loop.first && b == loop.second; },
                     problems);
  }
  // The scratch on zram: unmounted above, its views' loops detached.
  int zram = 0;
  for (const auto& [id, size] : owner.zram) {
    if (remove_zram(id, size)) {
      ++zram;
    } else if (access(fmt::format("/sys/block/zram{}", id).c_str(), F_OK) == 0) {
      problems.push_back(fmt::format("/dev/zram{} (in use, or not the run's any more)", id));
    }
  }
  for (const std::string& image : owner.scratch_images) {
    loops += detach_loops([&](const std::string&, const std::string& b) { return b == image; },
                          problems);
    if (unlink(image.c_str()) != 0 && errno != ENOENT)
      problems.push_back(fmt::format("{} ({})", image, std::strerror(errno)));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) problems.push_back(fmt::format("{} ({})", d, ec.message()));
  std::string line = fmt::format(
      "removed what a run that died (pid {}) left in {}: {} mounts, {} loop devices{}{}", owner.pid,
      d, mounts, loops, dm_devices > 0 ? fmt::format(", {} device-mapper devices", dm_devices) : "",
      owner.scratch_images.empty() ? "" : ", its scratch image");
  if (zram > 0) line += ", its zram device";
  if (!problems.empty()) {
    line += "; could not remove:";
    for (const std::string& p : problems) line += " " + p;
  }
  return line;
}

}  // namespace

void record_owner(const std::string& workdir) {
  pid_t pid = getpid();
  std::optional<std::string> started = start_time(pid);
  if (!started) throw CheckerError(fmt::format("cannot read /proc/{}/stat", pid));
  std::ofstream out(workdir + "/" + kOwnerFile);
  out << pid << " " << *started << "\n";
  if (!out.flush()) throw CheckerError("cannot write " + workdir + "/" + kOwnerFile);
}

namespace {

// Appends "<word> <text>" to <workdir>/owner.
void record(const std::string& workdir, const std::string& word, const std::string& text) {
  std::ofstream out(workdir + "/" + kOwnerFile, std::ios::app);
  out << word << " " << text << "\n";
  if (!out.flush()) throw CheckerError("cannot write " + workdir + "/" + kOwnerFile);
}

// As the kernel names a loop device's backing file.
std::string canonical_path(const std::string& file) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(file, ec);
  return ec ? file : canonical.string();
}

}  // namespace

void record_scratch_image(const std::string& workdir, const std::string& image) {
  record(workdir, "scratch", canonical_path(image));
}

void record_zram(const std::string& workdir, int id, uint64_t size) {
  record(workdir, "zram", fmt::format("{} {}", id, size));
}

void record_loop(const std::string& workdir, const std::string& device, const std::string& file) {
  record(workdir, "loop", device + " " + canonical_path(file));
}

std::vector<std::string> remove_leftovers(const std::string& parent) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(parent, ec)) {
    if (!e.path().filename().string().starts_with(kWorkdirPrefix) || !e.is_directory(ec)) continue;
    std::optional<Owner> owner = read_owner(e.path());
    if (!owner || alive(*owner)) continue;
    fs::path dir = fs::canonical(e.path(), ec);
    if (ec) dir = fs::absolute(e.path());
    lines.push_back(clean(dir, *owner));
  }
  return lines;
}

}  // namespace bb::crashcheck
