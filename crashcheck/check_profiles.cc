// SPDX-License-Identifier: GPL-2.0-or-later
#include "crashcheck/check_profiles.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/file_descriptor.h"
#include "common/file_info.h"
#include "common/process.h"
#include "common/spawn_server.h"
#include "crashcheck/error.h"
#include "crashcheck/fs_superblock.h"

namespace bb::crashcheck {

namespace {

// One step of a profile: a mount, an unmount or a program run on {dev}.
struct Step {
  enum Kind { kMount, kUmount, kRun } kind;
  std::string fstype;             // kMount
  std::string options;            // kMount
  std::vector<std::string> argv;  // kRun; "{dev}" is replaced

  std::string text() const { return text(argv); }

  // With the arguments of a run step as run.
  std::string text(const std::vector<std::string>& args) const {
    switch (kind) {
      case kMount:
        return fmt::format("mount -t {}{} {{dev}} {{mnt}}", fstype,
                           options.empty() ? "" : " -o " + options);
      case kUmount:
        return "umount {mnt}";
      case kRun:
        break;
    }
    std::string s;
    for (const std::string& a : args) {
      if (!s.empty()) s += ' ';
      s += a;
    }
    return s;
  }
};

std::vector<Step> steps_for(std::string_view fs) {
  if (fs == "ext4") {
    return {{Step::kMount, "ext4", "", {}},
            {Step::kUmount, "", "", {}},
            {Step::kRun, "", "", {"e2fsck", "-fn", "{dev}"}}};
  }
  if (fs == "xfs") {
    return {{Step::kMount, "xfs", "nouuid", {}},
            {Step::kUmount, "", "", {}},
            // -P: no prefetch threads. The checks are the same; on the
            // small images crash testing uses, starting the prefetch
            // threads costs more than they save (22 -> 11 ms a state on
            // the bench). The VM tests hold the verdicts to plain -n's.
            // bhash: see xfs_bhash_for(). phase2_threads: 32 threads by
            // default scan the AG headers and btrees, and starting them
            // costs more than a crash-test image's scan; the checks run
            // side by side already (--jobs). The checks are the same.
            {Step::kRun,
             "",
             "",
             {"xfs_repair", "-n", "-P", "-o", "bhash={bhash}", "-o", "phase2_threads=1", "{dev}"}}};
  }
  if (fs == "btrfs") {
    return {{Step::kRun, "", "", {"btrfs", "check", "--readonly", "{dev}"}},
            {Step::kMount, "btrfs", "", {}},
            {Step::kUmount, "", "", {}},
            {Step::kRun, "", "", {"btrfs", "check", "--readonly", "{dev}"}}};
  }
  throw CheckerError("unknown check profile '" + std::string(fs) + "' (ext4, xfs or btrfs)");
}

// xfs_repair sizes its buffer cache hash to 75% of the machine's memory
// unless told otherwise, and on a big host setting up that table costs more
// than checking a crash-test image (about 4 of its 11 ms of CPU a state on
// the bench's 512 MiB images with 24 GiB of RAM). The cache holds up to 8
// buffers a bucket, so a bucket per 256 KiB of device lets it hold every
// block of a filesystem with 4 KiB blocks twice over; the bounds keep tiny
// images at xfs_repair's usual minimum and huge ones from growing the table
// past what the default would pick on a small machine. A small cache only
// evicts sooner: what is checked does not change.
uint64_t xfs_bhash_for(uint64_t device_bytes) {
  return std::clamp<uint64_t>(device_bytes / (uint64_t{256} << 10), 512, 65536);
}

std::string replace_all(std::string s, std::string_view from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// e2fsck keeps its block and inode maps in red-black trees unless its
// configuration says otherwise: `[bitmaps] all = 1` makes them plain bit
// arrays (e2fsck.conf's profile_get_uint("bitmaps", "all"); 1 is
// EXT2FS_BMAP64_BITARRAY). On the small filesystems of crash tests the
// arrays are much faster and the checks are the same: only the maps'
// representation changes (e2fsck -fn on a 320 MiB ext4 with 1 KiB blocks,
// the short bench log's: 4.5 -> 2.7 ms of CPU). They cost a bit per block
// and map (e2fsck keeps about five block maps), so only for devices up to
// kBitarrayDeviceBytes; bigger ones get e2fsck's default. The
// configuration is the one e2fsck would read (E2FSCK_CONFIG, else
// /etc/e2fsck.conf) with the section appended; one that has a [bitmaps]
// section already is left as it is. It lives in a memfd of ours that
// e2fsck opens as /proc/<our pid>/fd/<n>: no file to clean up.
constexpr uint64_t kBitarrayDeviceBytes = uint64_t{64} << 30;  // 8 MiB a map at 1 KiB blocks

class E2fsckBitarrays {
 public:
  E2fsckBitarrays() {
    const char* user = std::getenv("E2FSCK_CONFIG");
    std::string config;
    {
      std::ifstream in(user != nullptr ? user : "/etc/e2fsck.conf");
      if (in) config.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (config.find("[bitmaps]") != std::string::npos) return;
    config += "\n[bitmaps]\n\tall = 1\n";
    bb::common::FileDescriptor fd(memfd_create("bb-crashcheck-e2fsck.conf", MFD_CLOEXEC));
    if (!fd || write(fd.get(), config.data(), config.size()) != static_cast<ssize_t>(config.size()))
      return;  // best effort: e2fsck's own configuration then
    variable_ = fmt::format("E2FSCK_CONFIG=/proc/{}/fd/{}", getpid(), fd.get());
    memfd_ = std::move(fd);
  }

  // What to add to e2fsck's environment for a device of `device_bytes`.
  [[nodiscard]] std::vector<std::string> environment(uint64_t device_bytes) const {
    if (variable_.empty() || device_bytes > kBitarrayDeviceBytes) return {};
    return {variable_};
  }

 private:
  bb::common::FileDescriptor memfd_;
  std::string variable_;
};

// The xfs steps with an external log device: logdev= on the mount, -l
// for xfs_repair.
std::vector<Step> with_xfs_logdev(std::vector<Step> steps) {
  for (Step& s : steps) {
    if (s.kind == Step::kMount) s.options += ",logdev={logdev}";
    if (s.kind == Step::kRun) s.argv.insert(s.argv.end() - 1, {"-l", "{logdev}"});
  }
  return steps;
}

class ProfileCheck final : public Check {
 public:
  ProfileCheck(std::string fs, std::chrono::seconds timeout, std::string logdev)
      : fs_(std::move(fs)),
        logdev_(std::move(logdev)),
        steps_(logdev_.empty() ? steps_for(fs_) : with_xfs_logdev(steps_for(fs_))),
        timeout_(timeout) {
    if (!logdev_.empty() && fs_ != "xfs")
      throw CheckerError("an external log device is for the xfs profile only");
  }

  std::string name() const override { return logdev_.empty() ? fs_ : fs_ + " logdev=" + logdev_; }
  std::string identity() const override {
    return fmt::format("{} (timeout {} s)", name(), timeout_.count());
  }
  bool needs_block_device() const override { return true; }

  CheckOutcome run(const CheckTarget& target) const override {
    CheckOutcome out = run_steps(target);
    if (multi_device_btrfs(target)) forget_btrfs_devices(target, out.output);
    return out;
  }

 private:
  // btrfs over a group's devices: every device of the view is one of the
  // filesystem's (btrfs check finds them by its own scan of the block
  // devices; the mount is told them with device=).
  bool multi_device_btrfs(const CheckTarget& target) const {
    return fs_ == "btrfs" && target.devices.size() > 1;
  }

  // The mount registered the view's devices with the kernel; the next
  // view's devices have the same fsid (and may be the same loop devices).
  void forget_btrfs_devices(const CheckTarget& target, std::string& log) const {
    std::vector<std::string> argv{"btrfs", "device", "scan", "--forget"};
    for (const CheckTarget::Named& n : target.devices) argv.push_back(n.device);
    log += "$ " + fmt::format("{}", fmt::join(argv, " ")) + "\n";
    bb::common::ProcessResult r = bb::common::run_process(argv, timeout_);
    log += r.output;
  }

  CheckOutcome run_steps(const CheckTarget& target) const {
    CheckOutcome out;
    bool mounted = false;
    for (const Step& step : steps_) {
      std::vector<std::string> argv = arguments(step, target);
      if (step.kind == Step::kMount) {
        const std::string options = mount_options(step, target);
        out.output += fmt::format("$ mount -t {}{} {{dev}} {{mnt}}\n", step.fstype,
                                  options.empty() ? "" : " -o " + options);
      } else {
        out.output += "$ " + step.text(argv) + "\n";
      }
      auto t0 = std::chrono::steady_clock::now();
      // An ext4 mount's journal log, read ahead into the device's page
      // cache: open until the mount holds the device (the cache goes with
      // its last close), and no longer, so that no later step can meet a
      // cached block something wrote around the cache.
      bb::common::FileDescriptor read_ahead;
      if (step.kind == Step::kMount && step.fstype == "ext4") {
        read_ahead = bb::common::FileDescriptor(open(target.device.c_str(), O_RDONLY | O_CLOEXEC));
        if (read_ahead) (void)read_ext4_journal_log(read_ahead.get());
      }
      bool ok = run_step(step, argv, target, mounted, out.output);
      read_ahead = bb::common::FileDescriptor();
      out.output += fmt::format(
          "({:.2f} ms)\n",
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (!ok) {
        if (mounted) umount2(target.scratch.c_str(), MNT_DETACH);
        return out;
      }
    }
    out.passed = true;
    return out;
  }

  // A run step's command line for this target.
  std::vector<std::string> arguments(const Step& step, const CheckTarget& target) const {
    std::vector<std::string> argv = step.argv;
    for (std::string& a : argv) {
      if (a == "{dev}") a = target.device;
      if (a == "{logdev}") a = named_path(target, logdev_, true);
      if (a == "bhash={bhash}")
        a = fmt::format("bhash={}", xfs_bhash_for(bb::common::file_size(target.device)));
    }
    return argv;
  }

  bool run_step(const Step& step, const std::vector<std::string>& argv, const CheckTarget& target,
                bool& mounted, std::string& log) const {
    switch (step.kind) {
      case Step::kMount:
        if (mount(target.device.c_str(), target.scratch.c_str(), step.fstype.c_str(), 0,
                  mount_options(step, target).c_str()) != 0) {
          log += fmt::format("mount failed: {}\n", std::strerror(errno));
          return false;
        }
        mounted = true;
        return true;
      case Step::kUmount:
        if (!unmount(target.scratch, log)) return false;
        mounted = false;
        return true;
      case Step::kRun:
        break;
    }
    std::vector<std::string> environment;
    if (argv.front() == "e2fsck")
      environment = e2fsck_bitarrays_.environment(bb::common::file_size(target.device));
    bb::common::ProcessResult r = programs_.run(argv, timeout_, environment);
    log += r.output;
    if (r.timed_out) log += fmt::format("timed out after {} s\n", timeout_.count());
    if (r.exit_status != 0) log += fmt::format("exit status {}\n", r.exit_status);
    return r.exit_status == 0 && !r.timed_out;
  }

  // umount2(), tried again for up to a second while it says EBUSY. A busy
  // mount is something else holding it for a moment (a path lookup that
  // crosses into it holds a reference until it is done; CI once saw one
  // EBUSY right after an XFS mount, not reproduced in 55 runs of the same
  // log), not a property of the filesystem on the view: the verdict must
  // not depend on it. Each retry is named in the check's output.
  static bool unmount(const std::string& dir, std::string& log) {
    constexpr int kAttempts = 50;
    int err = 0;
    for (int attempt = 1;; ++attempt) {
      if (umount2(dir.c_str(), 0) == 0) return true;
      err = errno;
      if (err != EBUSY || attempt == kAttempts) break;
      log += "umount: busy, trying again\n";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    log += fmt::format("umount failed: {}\n", std::strerror(err));
    return false;
  }

  std::string mount_options(const Step& step, const CheckTarget& target) const {
    if (multi_device_btrfs(target)) {
      std::string options = step.options;
      for (const CheckTarget::Named& n : target.devices)
        options += (options.empty() ? "device=" : ",device=") + n.device;
      return options;
    }
    if (logdev_.empty()) return step.options;
    return replace_all(step.options, "{logdev}", named_path(target, logdev_, true));
  }

  std::string fs_;
  std::string logdev_;  // a group's device name; "" without an external log
  std::vector<Step> steps_;
  std::chrono::seconds timeout_;
  E2fsckBitarrays e2fsck_bitarrays_;
  // The check programs, each forked from a server of its own after its
  // start (common/spawn_server.h): a start is the dynamic loading, about
  // 40 % of a `btrfs check` of a crash-test image where page faults are
  // dear; the checks are the programs' own.
  mutable bb::common::SpawnServerPool programs_;
};

class CommandCheck final : public Check {
 public:
  CommandCheck(std::string command, std::chrono::seconds timeout)
      : command_(std::move(command)), timeout_(timeout) {}

  std::string name() const override { return "command"; }
  std::string identity() const override {
    return fmt::format("command '{}' (timeout {} s)", command_, timeout_.count());
  }
  bool needs_block_device() const override { return command_.find("{dev") != std::string::npos; }

  CheckOutcome run(const CheckTarget& target) const override {
    std::string cmd = command_;
    for (const std::string& name : command_device_names(command_)) {
      cmd = replace_all(cmd, fmt::format("{{dev:{}}}", name), named_path(target, name, true));
      cmd = replace_all(cmd, fmt::format("{{image:{}}}", name), named_path(target, name, false));
    }
    cmd = replace_all(replace_all(cmd, "{dev}", target.device), "{image}", target.image);
    cmd = replace_all(replace_all(cmd, "{mnt}", target.scratch), "{entry}",
                      std::to_string(target.entry));
    bb::common::ProcessResult r = bb::common::run_process({"/bin/sh", "-c", cmd}, timeout_);
    CheckOutcome out{r.exit_status == 0 && !r.timed_out, "$ " + cmd + "\n" + r.output};
    if (r.timed_out) out.output += fmt::format("timed out after {} s\n", timeout_.count());
    if (r.exit_status != 0) out.output += fmt::format("exit status {}\n", r.exit_status);
    return out;
  }

 private:
  std::string command_;
  std::chrono::seconds timeout_;
};

}  // namespace

const std::string& named_path(const CheckTarget& target, std::string_view name, bool device) {
  for (const CheckTarget::Named& n : target.devices) {
    if (n.name == name) return device ? n.device : n.image;
  }
  throw CheckerError(
      fmt::format("no device named '{}' in this check (--group LOG=NAME names them)", name));
}

std::vector<std::string> command_device_names(std::string_view command) {
  std::vector<std::string> names;
  for (std::string_view tag : {std::string_view("{dev:"), std::string_view("{image:")}) {
    for (size_t at = command.find(tag); at != std::string_view::npos;
         at = command.find(tag, at + 1)) {
      const size_t from = at + tag.size();
      const size_t close = command.find('}', from);
      if (close == std::string_view::npos) break;
      std::string name(command.substr(from, close - from));
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

std::unique_ptr<Check> make_profile_check(std::string_view fs, std::chrono::seconds step_timeout,
                                          std::string xfs_logdev) {
  return std::make_unique<ProfileCheck>(std::string(fs), step_timeout, std::move(xfs_logdev));
}

std::unique_ptr<Check> make_command_check(std::string command, std::chrono::seconds timeout) {
  return std::make_unique<CommandCheck>(std::move(command), timeout);
}

std::vector<std::string> profile_steps(std::string_view fs) {
  std::vector<std::string> lines;
  for (const Step& s : steps_for(fs)) lines.push_back(s.text());
  return lines;
}

}  // namespace bb::crashcheck
