// SPDX-License-Identifier: GPL-2.0-or-later
#include "healthd/prober.h"

#include <fcntl.h>
#include <linux/aio_abi.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/system_error.h"

namespace bb::healthd {

namespace {

constexpr long kMaxInFlight = 256;

long io_setup(long n, aio_context_t* ctx) { return syscall(SYS_io_setup, n, ctx); }
long io_destroy(aio_context_t ctx) { return syscall(SYS_io_destroy, ctx); }
long io_submit(aio_context_t ctx, long n, iocb** cbs) {
  return syscall(SYS_io_submit, ctx, n, cbs);
}
long io_getevents(aio_context_t ctx, long min, long max, io_event* events, timespec* timeout) {
  return syscall(SYS_io_getevents, ctx, min, max, events, timeout);
}

// A page-aligned buffer for O_DIRECT, mapped anonymously.
class AlignedBuffer {
 public:
  explicit AlignedBuffer(size_t bytes) : bytes_(bytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) bb::common::throw_errno("cannot map a probe buffer");
    data_ = p;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  AlignedBuffer(AlignedBuffer&&) = delete;
  AlignedBuffer& operator=(AlignedBuffer&&) = delete;
  ~AlignedBuffer() { munmap(data_, bytes_); }
  [[nodiscard]] void* data() const { return data_; }

 private:
  void* data_ = nullptr;
  size_t bytes_;
};

}  // namespace

struct Prober::Slot {
  Slot(uint32_t bytes) : buffer(bytes) {}
  bb::common::FileDescriptor fd;
  AlignedBuffer buffer;
  iocb cb{};
  uint32_t bytes = 0;
  uint64_t sector = 0;
  uint64_t id = 0;  // the iocb's aio_data
  std::chrono::steady_clock::time_point started;
};

std::string block_device_path(const std::string& major_minor) {
  std::string by_number = "/dev/block/" + major_minor;
  if (access(by_number.c_str(), F_OK) == 0) return by_number;
  std::ifstream uevent("/sys/dev/block/" + major_minor + "/uevent");
  std::string line;
  while (std::getline(uevent, line)) {
    if (line.starts_with("DEVNAME=")) return "/dev/" + line.substr(8);
  }
  throw bb::common::SystemError(
      ENOENT,
      fmt::format("no block device {} (neither {} nor a sysfs entry)", major_minor, by_number));
}

Prober::Prober() {
  const int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) bb::common::throw_errno("cannot make the probes' eventfd");
  eventfd_ = bb::common::FileDescriptor(efd);
  aio_context_t ctx = 0;
  if (io_setup(kMaxInFlight, &ctx) < 0)
    bb::common::throw_errno("cannot set up Linux AIO (io_setup)");
  context_ = ctx;
}

Prober::~Prober() { io_destroy(context_); }

bool Prober::start(const ProbeKey& key, const std::string& path, uint64_t sector, uint32_t bytes,
                   std::chrono::steady_clock::time_point now) {
  if (slots_.contains(key)) return false;
  Completion failed{key, 0, now, now, sector};
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    failed.error = errno;
    complete_now(failed);
    return true;
  }
  auto slot = std::make_unique<Slot>(bytes);
  slot->fd = bb::common::FileDescriptor(fd);
  slot->bytes = bytes;
  slot->sector = sector;
  slot->started = now;
  iocb& cb = slot->cb;
  cb.aio_lio_opcode = IOCB_CMD_PREAD;
  cb.aio_fildes = static_cast<uint32_t>(fd);
  cb.aio_buf = reinterpret_cast<uint64_t>(slot->buffer.data());
  cb.aio_nbytes = bytes;
  cb.aio_offset = static_cast<int64_t>(sector * 512);
  cb.aio_flags = IOCB_FLAG_RESFD;
  cb.aio_resfd = static_cast<uint32_t>(eventfd_.get());
  slot->id = ++last_id_;
  cb.aio_data = slot->id;  // matched in reap()
  iocb* list[1] = {&cb};
  if (io_submit(context_, 1, list) != 1) {
    failed.error = errno != 0 ? errno : EIO;
    complete_now(failed);
    return true;
  }
  slots_.emplace(key, std::move(slot));
  return true;
}

void Prober::complete_now(const Completion& c) {
  immediate_.push_back(c);
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n =
      ::write(eventfd_.get(), &one, sizeof(one));  // wakes the loop's poll(2)
}

std::vector<Completion> Prober::reap(std::chrono::steady_clock::time_point now) {
  std::vector<Completion> out = std::move(immediate_);
  immediate_.clear();
  uint64_t count = 0;
  [[maybe_unused]] const ssize_t got = ::read(eventfd_.get(), &count, sizeof(count));
  io_event events[32];
  for (;;) {
    timespec zero{};
    const long n = io_getevents(context_, 0, 32, events, &zero);
    if (n <= 0) break;
    for (long i = 0; i < n; i++) {
      for (auto it = slots_.begin(); it != slots_.end(); ++it) {
        const Slot* slot = it->second.get();
        if (slot->id != events[i].data) continue;
        const int64_t res = events[i].res;
        int error = 0;
        if (res < 0) {
          error = static_cast<int>(-res);
        } else if (static_cast<uint64_t>(res) != slot->bytes) {
          error = EIO;  // a short read: the leg is smaller than its table says
        }
        out.push_back({it->first, error, slot->started, now, slot->sector});
        slots_.erase(it);
        break;
      }
    }
    if (n < 32) break;
  }
  return out;
}

}  // namespace bb::healthd
