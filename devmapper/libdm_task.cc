// SPDX-License-Identifier: GPL-2.0-or-later
#include "devmapper/libdm_task.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <utility>

#include "devmapper/dm_error.h"

namespace bb::devmapper::detail {

namespace {

// libdevmapper's log levels (its internal log.h): what is captured.
constexpr int kLevelMask = 0x0f;
constexpr int kLevelWarn = 4;

std::mutex& libdm_mutex() {
  static std::mutex mutex;
  return mutex;
}

// The capture buffer. Plain arrays with no destructor, so that a message
// libdevmapper logs from its own destructor at exit finds them intact.
struct Capture {
  bool active = false;
  int last_errno = 0;
  size_t used = 0;
  std::array<char, 2048> text{};
};
Capture capture;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables): guarded by
                  // libdm_mutex()

void append(const char* s, size_t n) {
  size_t room = capture.text.size() - 1 - capture.used;
  if (n > room) n = room;
  for (size_t i = 0; i < n; ++i) capture.text.at(capture.used + i) = s[i];
  capture.used += n;
  capture.text.at(capture.used) = '\0';
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    dm_log_with_errno_init(capture_libdm_log);
    dm_set_name_mangling_mode(DM_STRING_MANGLING_NONE);
  });
}

}  // namespace

void capture_libdm_log(int level, const char* /*file*/, int /*line*/, int dm_errno_or_class,
                       const char* format, ...) {
  if (!capture.active || (level & kLevelMask) > kLevelWarn) return;
  std::array<char, 512> message{};
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(message.data(), message.size(), format, args);
  va_end(args);
  if (n <= 0) return;
  size_t length = std::min(static_cast<size_t>(n), message.size() - 1);
  if (capture.used > 0) append("; ", 2);
  append(message.data(), length);
  if (dm_errno_or_class > 0) capture.last_errno = dm_errno_or_class;
}

LibdmLock::LibdmLock() : lock_(libdm_mutex()) {
  install_once();
  capture = Capture{};
  capture.active = true;
}

LibdmLock::~LibdmLock() { capture.active = false; }

std::string LibdmLock::take_log() {
  std::string text(capture.text.data(), capture.used);
  capture.used = 0;
  capture.text.at(0) = '\0';
  return text;
}

int LibdmLock::logged_errno() const { return capture.last_errno; }

Task::Task(LibdmLock& lock, int type, std::string operation, std::string device)
    : lock_(lock),
      task_(dm_task_create(type)),
      operation_(std::move(operation)),
      device_(std::move(device)) {
  if (!task_) throw DmError(operation_, device_, ENOMEM, "dm_task_create failed");
  if (!device_.empty()) check(dm_task_set_name(task_.get(), device_.c_str()), "dm_task_set_name");
}

void Task::check(int ok, const char* what) const {
  if (ok != 0) return;
  int err = lock_.logged_errno() != 0 ? lock_.logged_errno() : EINVAL;
  std::string log = lock_.take_log();
  throw DmError(operation_, device_, err,
                std::string(what) + " failed" + (log.empty() ? "" : ": " + log));
}

void Task::run(const std::string& detail) {
  if (dm_task_run(task_.get()) != 0) {
    (void)lock_.take_log();  // warnings of a call that worked
    return;
  }
  int err = dm_task_get_errno(task_.get());
  if (err == 0) err = lock_.logged_errno();
  if (err == 0) err = EIO;
  std::string text = detail;
  if (std::string log = lock_.take_log(); !log.empty())
    text += (text.empty() ? "" : "; ") + ("libdevmapper: " + log);
  throw DmError(operation_, device_, err, text);
}

dm_info Task::info() const {
  dm_info i{};
  check(dm_task_get_info(task_.get(), &i), "dm_task_get_info");
  return i;
}

UdevCookie::UdevCookie(const Task& task) {
  task.check(dm_task_set_cookie(task.get(), &cookie_, 0), "dm_task_set_cookie");
}

UdevCookie::~UdevCookie() { (void)dm_udev_wait(cookie_); }

}  // namespace bb::devmapper::detail
