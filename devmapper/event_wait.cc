// SPDX-License-Identifier: GPL-2.0-or-later
// wait_event(): DM_DEVICE_WAITEVENT with a timeout.
//
// The ioctl sleeps until the device's event counter differs from the one
// given, with no timeout and no way to cancel it short of a signal; a
// thread or child stuck in it could only be freed by a signal or by the
// very event it waits for. Since Linux 4.13 the control device can be
// polled instead: DM_DEV_ARM_POLL records, per open file of
// /dev/mapper/control, the kernel's global event counter (raised with every
// device's event and by create, remove and rename), and poll(2) on that file
// reports POLLIN once the global counter has moved past the recorded value.
// So: arm, read the device's counter (DM_DEVICE_INFO), and if it has not
// moved, poll with the time left; on a wake-up, arm again and re-read. An
// event after the arming always wakes the poll, and one before it is seen
// by the read that follows, so none is lost. Once the counter moved,
// DM_DEVICE_WAITEVENT with dm_task_set_event_nr() returns at once with the
// device's new counter. libdevmapper's own control fd is private to it, so
// the arming is a plain ioctl on a control fd of our own (the only ioctl
// this library makes by hand); no lock is held while polling.
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/file_descriptor.h"
#include "devmapper/devices.h"
#include "devmapper/libdm_task.h"

namespace bb::devmapper {

namespace {

constexpr const char* kControl = "/dev/mapper/control";

// An open /dev/mapper/control of our own, closed on every path out.
bb::common::FileDescriptor open_control(const std::string& name) {
  bb::common::FileDescriptor fd(open(kControl, O_RDWR | O_CLOEXEC));
  if (!fd) throw DmError("wait", name, errno, std::string("cannot open ") + kControl);
  return fd;
}

// DM_DEV_ARM_POLL on our control fd: poll() reports POLLIN once any
// device-mapper event happens after this.
void arm(const bb::common::FileDescriptor& control, const std::string& name) {
  dm_ioctl io{};
  io.version[0] = DM_VERSION_MAJOR;  // minor 0: any 4.x kernel takes it
  io.data_size = sizeof(io);
  io.data_start = sizeof(io);
  if (ioctl(control.get(), DM_DEV_ARM_POLL, &io) != 0) {
    int err = errno;
    throw DmError("wait", name, err,
                  err == ENOTTY || err == EINVAL
                      ? "DM_DEV_ARM_POLL failed: the kernel needs Linux 4.13 or later"
                      : "DM_DEV_ARM_POLL failed");
  }
}

// DM_DEVICE_WAITEVENT for a counter that has already moved: returns at once.
uint32_t wait_event_ioctl(const std::string& name, uint32_t event_nr) {
  detail::LibdmLock lock;
  detail::Task task(lock, DM_DEVICE_WAITEVENT, "wait", name);
  task.check(dm_task_set_event_nr(task.get(), event_nr), "dm_task_set_event_nr");
  task.run();
  return task.info().event_nr;
}

uint32_t current_event_nr(const std::string& name, bool waiting) {
  DeviceInfo i = info(name);
  if (!i.exists)
    throw DmError("wait", name, ENXIO, waiting ? "the device was removed" : "no such device");
  return i.event_nr;
}

// poll(2) on an armed control fd; true: woken (or interrupted).
bool poll_control(const bb::common::FileDescriptor& control, const std::string& name,
                  std::optional<std::chrono::milliseconds> timeout) {
  pollfd p{control.get(), POLLIN, 0};
  const int ms =
      timeout ? static_cast<int>(std::clamp<int64_t>(timeout->count(), 0, INT32_MAX)) : -1;
  const int n = poll(&p, 1, ms);
  if (n < 0 && errno != EINTR)
    throw DmError("wait", name, errno, std::string("poll on ") + kControl);
  return n != 0;
}

}  // namespace

GlobalEvents::GlobalEvents() {
  // info() of a name that cannot exist makes libdevmapper create a missing
  // control node first.
  (void)info("bb-no-such-device");
  control_ = open_control("");
}

void GlobalEvents::arm() { devmapper::arm(control_, ""); }

bool GlobalEvents::wait(std::optional<std::chrono::milliseconds> timeout) {
  return poll_control(control_, "", timeout);
}

std::optional<uint32_t> wait_event(const std::string& name, uint32_t event_nr,
                                   std::chrono::milliseconds timeout) {
  check_name("wait", name);
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  // The first info() also makes libdevmapper create a missing control node.
  if (current_event_nr(name, false) != event_nr) return wait_event_ioctl(name, event_nr);
  const bb::common::FileDescriptor control = open_control(name);
  for (;;) {
    arm(control, name);
    if (current_event_nr(name, true) != event_nr) return wait_event_ioctl(name, event_nr);
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return std::nullopt;
    (void)poll_control(control, name, left);
    // Woken, interrupted or timed out: arm and look again (a last look
    // after the timeout catches an event raised just before it).
  }
}

}  // namespace bb::devmapper
