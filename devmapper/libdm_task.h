// SPDX-License-Identifier: GPL-2.0-or-later
// Inside the client (not part of its API): how it drives libdevmapper.
//
// libdevmapper keeps process-wide state (its control fd, the queue of
// /dev/mapper node operations, udev cookies, the log function) and is not
// documented as thread-safe, while the checker calls the client from its
// worker threads. So every use of it happens under one process-wide lock
// (LibdmLock), which also scopes the capture of libdevmapper's log: its
// messages never reach stderr; warnings and errors logged while a lock is
// held go into the DmError of that call.
#pragma once

#include <libdevmapper.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace bb::devmapper::detail {

// Holds libdevmapper's process-wide lock and captures its log meanwhile.
// The first one ever taken installs the log function and turns name
// mangling off (device_name.h). Not reentrant.
class LibdmLock {
 public:
  LibdmLock();
  ~LibdmLock();
  LibdmLock(const LibdmLock&) = delete;
  LibdmLock& operator=(const LibdmLock&) = delete;

  // The warnings and errors libdevmapper logged since the lock was taken
  // or since the last take, "; "-joined, and forgets them.
  [[nodiscard]] std::string take_log();
  // The errno of the last error libdevmapper logged with one, or 0.
  [[nodiscard]] int logged_errno() const;

 private:
  std::unique_lock<std::mutex> lock_;
};

// The log function installed into libdevmapper (dm_log_with_errno_init).
// Outside a LibdmLock (e.g. libdevmapper's destructor at exit) it drops
// the message. Declared here for the unit test.
void capture_libdm_log(int level, const char* file, int line, int dm_errno_or_class,
                       const char* format, ...) __attribute__((format(printf, 5, 6)));

// One dm_task, owned: destroyed on every path out, also on a throw.
class Task {
 public:
  // `operation` and `device` name the call in errors; the task gets the
  // device's name if `device` is not empty.
  Task(LibdmLock& lock, int type, std::string operation, std::string device);

  [[nodiscard]] dm_task* get() const { return task_.get(); }
  // Throws a DmError for a dm_task_set_*() that returned 0 (`what` names it).
  void check(int ok, const char* what) const;
  // dm_task_run(); on failure throws DmError with the ioctl's errno, what
  // libdevmapper logged and `detail` in front of that.
  void run(const std::string& detail = "");
  // dm_task_get_info() after run().
  [[nodiscard]] dm_info info() const;
  // The error this task's failure would throw, for callers that decide.
  [[nodiscard]] int ioctl_errno() const { return dm_task_get_errno(task_.get()); }

 private:
  struct Destroy {
    void operator()(dm_task* t) const { dm_task_destroy(t); }
  };
  LibdmLock& lock_;
  std::unique_ptr<dm_task, Destroy> task_;
  std::string operation_;
  std::string device_;
};

// udev synchronisation of one task that makes a uevent (create, resume,
// remove): a cookie is attached before the run and waited for on
// destruction, also after a failed run, as libdevmapper wants. With udev
// running, the wait returns once udev has processed the event (the
// /dev/mapper node exists or is gone); without udev (DM_DISABLE_UDEV=1, or
// no udev daemon) libdevmapper makes and removes the node itself in that
// same wait.
class UdevCookie {
 public:
  explicit UdevCookie(const Task& task);
  ~UdevCookie();
  UdevCookie(const UdevCookie&) = delete;
  UdevCookie& operator=(const UdevCookie&) = delete;

 private:
  uint32_t cookie_ = 0;
};

}  // namespace bb::devmapper::detail
